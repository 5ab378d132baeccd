# fcgi-app/collect: /b.gif and /e (spec/10 §2, §5–§8), except tracker.c
# (listed by fcgi-app/assets/local.mk with the tracker it serves).
libechelon_a_SOURCES += \
	fcgi-app/collect/decode.c fcgi-app/collect/decode.h \
	fcgi-app/collect/referrer.c fcgi-app/collect/referrer.h \
	fcgi-app/collect/ua.c fcgi-app/collect/ua.h \
	fcgi-app/collect/visitor.c fcgi-app/collect/visitor.h \
	fcgi-app/collect/jsout.c fcgi-app/collect/jsout.h \
	fcgi-app/collect/anon.c fcgi-app/collect/anon.h \
	fcgi-app/collect/events.c fcgi-app/collect/events.h \
	fcgi-app/collect/beacon.c fcgi-app/collect/beacon.h \
	fcgi-app/collect/geo.c fcgi-app/collect/geo.h \
	fcgi-app/collect/cache.c fcgi-app/collect/cache.h \
	fcgi-app/collect/record.c fcgi-app/collect/record.h \
	fcgi-app/collect/ship.c fcgi-app/collect/ship.h \
	fcgi-app/collect/handlers.c fcgi-app/collect/collect.h \
	fcgi-app/collect/live_keys.h

