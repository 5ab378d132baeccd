# fcgi-app/api: authentication and the management API.
libechelon_a_SOURCES += fcgi-app/api/health.c fcgi-app/api/health.h
