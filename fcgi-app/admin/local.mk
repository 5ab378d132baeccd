# fcgi-app/admin: sources and unit tests of this module
