# fcgi-app/admin: the server-rendered admin UI (spec/40 §6), its escaping
# HTML writer and SVG charts, and its embedded static files.
libechelon_a_SOURCES += fcgi-app/admin/admin.h \
	fcgi-app/admin/html.c fcgi-app/admin/html.h \
	fcgi-app/admin/svg.c fcgi-app/admin/svg.h \
	fcgi-app/admin/shell.c fcgi-app/admin/shell.h \
	fcgi-app/admin/livebar.c fcgi-app/admin/livebar.h \
	fcgi-app/admin/dashboard.c \
	fcgi-app/admin/lists.c \
	fcgi-app/admin/bots.c \
	fcgi-app/admin/experiments.c \
	fcgi-app/admin/campaigns.c \
	fcgi-app/admin/settings.c \
	fcgi-app/admin/static.c

# Embedded files: each fcgi-app/assets/admin/NAME.EXT becomes the arrays
# admin_asset_NAME_EXT[] / admin_asset_NAME_EXT_len (non-alphanumerics -> _)
# in the generated build-dir file fcgi-app/admin/assets.inc, which static.c
# includes. (A separate rule from assets/local.mk because these live in a
# subdirectory and are included, not compiled, so no *_SOURCES ordering
# between fragments matters.)
ADMIN_ASSETS = fcgi-app/assets/admin/styles.css fcgi-app/assets/admin/admin.js \
	fcgi-app/assets/admin/favicon.ico fcgi-app/assets/admin/logo.svg \
	fcgi-app/assets/admin/mmm.webp fcgi-app/assets/admin/mmm-bw.webp

fcgi-app/admin/assets.inc: bin2c$(EXEEXT) $(ADMIN_ASSETS)
	$(AM_V_GEN)$(MKDIR_P) fcgi-app/admin && rm -f $@-t && \
	for f in $(ADMIN_ASSETS); do \
	  sym=`basename $$f | sed 's/[^A-Za-z0-9]/_/g'` && \
	  ./bin2c$(EXEEXT) admin_asset_$$sym $(srcdir)/$$f $@-one && \
	  cat $@-one >> $@-t || exit 1; \
	done && rm -f $@-one && mv -f $@-t $@

fcgi-app/admin/static.$(OBJEXT): fcgi-app/admin/assets.inc
BUILT_SOURCES += fcgi-app/admin/assets.inc
CLEANFILES += fcgi-app/admin/assets.inc
EXTRA_DIST += $(ADMIN_ASSETS)

check_PROGRAMS += tests/unit/test_html tests/unit/test_svg
TESTS += tests/unit/test_html tests/unit/test_svg
tests_unit_test_html_SOURCES = tests/unit/test_html.c
tests_unit_test_html_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_html_LDADD = $(UNIT_LDADD)
tests_unit_test_svg_SOURCES = tests/unit/test_svg.c
tests_unit_test_svg_CFLAGS = $(UNIT_CFLAGS)
tests_unit_test_svg_LDADD = $(UNIT_LDADD)
