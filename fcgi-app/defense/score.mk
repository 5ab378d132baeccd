# fcgi-app/defense/score.mk: sources and unit tests (fragment included by Makefile.am)
