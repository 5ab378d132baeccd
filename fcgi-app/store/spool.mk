# fcgi-app/store/spool.mk: sources and unit tests (fragment included by Makefile.am)
