# fcgi-app/store: MariaDB and Redis clients, migrations, deferred jobs.
libechelon_a_SOURCES += fcgi-app/store/db.c fcgi-app/store/db.h \
	fcgi-app/store/kv.c fcgi-app/store/kv.h \
	fcgi-app/store/jobs.c fcgi-app/store/jobs.h \
	fcgi-app/store/migrate.c fcgi-app/store/migrate.h \
	fcgi-app/store/secret.c fcgi-app/store/secret.h
