# fcgi-app/defense/score.mk: bot scoring, threat feeds, correlator (spec/20 §1, §2, §5-§7).
libechelon_a_SOURCES += fcgi-app/defense/score.c fcgi-app/defense/score.h \
	fcgi-app/defense/feeds.c fcgi-app/defense/feeds.h \
	fcgi-app/defense/iprange.c fcgi-app/defense/iprange.h \
	fcgi-app/defense/correlator.c fcgi-app/defense/correlator.h \
	fcgi-app/defense/defense.c fcgi-app/defense/defense.h

