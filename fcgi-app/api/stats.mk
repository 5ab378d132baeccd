# fcgi-app/api/stats.mk: sources and unit tests (fragment included by Makefile.am)
