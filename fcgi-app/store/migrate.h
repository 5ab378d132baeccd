/* migrate: applies sql/NNN_*.sql in order, once each.
 * Owns the `schema_migrations` table (version, name, applied_at). Promises:
 * runs serialized across processes and hosts (MariaDB named lock
 * `echelon_schema`), applies each pending file in one go and records it only
 * after it succeeded; running it again is a no-op. */
#ifndef ECHELON_STORE_MIGRATE_H
#define ECHELON_STORE_MIGRATE_H
int migrate_run(const char *sql_dir);   /* 0 ok, -1 failed (logged) */
#endif
