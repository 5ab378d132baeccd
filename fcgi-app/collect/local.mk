# fcgi-app/collect: sources and unit tests of this module
