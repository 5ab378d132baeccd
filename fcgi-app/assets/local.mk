# fcgi-app/assets: sources and unit tests of this module
