# fcgi-app/assets: files embedded into the binary (assets.h), and the /ea.js
# handler that serves the tracker (collect/tracker.c, owned with the tracker).
#
# Embedding: fcgi-app/assets/NAME.EXT becomes the generated build-dir file
# fcgi-app/assets/NAME_EXT.c (symbols asset_NAME_EXT, asset_NAME_EXT_len;
# NAME and EXT of [A-Za-z0-9_] only). To embed another asset, add one word to
# each list below (same order) and declare its two symbols in assets.h.
ASSET_SRC = fcgi-app/assets/ea.js
ASSET_C = fcgi-app/assets/ea_js.c

nodist_libechelon_a_SOURCES = $(ASSET_C)
BUILT_SOURCES += $(ASSET_C)
CLEANFILES += $(ASSET_C)
EXTRA_DIST += $(ASSET_SRC)
libechelon_a_SOURCES += fcgi-app/assets/assets.h \
	fcgi-app/collect/tracker.c fcgi-app/collect/tracker.h

# One recipe for every asset: the target's name says which source it embeds
# (ea_js.c <- ea.js). A change to any source regenerates all: they are small.
$(ASSET_C): bin2c$(EXEEXT) $(ASSET_SRC)
	$(AM_V_GEN)$(MKDIR_P) fcgi-app/assets && \
	name=`basename $@ .c` && \
	src=`echo "$$name" | sed 's/_\([A-Za-z0-9]*\)$$/.\1/'` && \
	./bin2c$(EXEEXT) asset_$$name $(srcdir)/fcgi-app/assets/$$src $@-t && \
	mv -f $@-t $@

check_PROGRAMS += tests/unit/test_tracker
TESTS += tests/unit/test_tracker
tests_unit_test_tracker_SOURCES = tests/unit/test_tracker.c
tests_unit_test_tracker_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_tracker_LDADD = $(UNIT_LDADD)

