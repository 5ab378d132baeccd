/* migrate.c -- apply sql/NNN_*.sql once each, in order (see migrate.h). */
#include "store/migrate.h"
#include "store/db.h"
#include "core/log.h"
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int is_migration(const char *n)
{
    size_t l = strlen(n);
    return l > 8 && n[0] >= '0' && n[0] <= '9' && n[1] >= '0' && n[1] <= '9' && n[2] >= '0' &&
           n[2] <= '9' && n[3] == '_' && strcmp(n + l - 4, ".sql") == 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *p = malloc((size_t)n + 1);
    if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        p = NULL;
    }
    if (p) p[n] = '\0';
    fclose(f);
    return p;
}

int migrate_run(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) {
        log_err("migrate", "cannot open %s", dir);
        return -1;
    }
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!is_migration(e->d_name)) continue;
        names = realloc(names, (n + 1) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp);

    int rc = 0;
    if (db_scalar_int("SELECT GET_LOCK('echelon_schema', 60)", "") != 1) {
        log_err("migrate", "could not take the schema lock");
        rc = -1;
        goto out;
    }
    if (db_exec_script("CREATE TABLE IF NOT EXISTS `schema_migrations` ("
                       "`version` INT UNSIGNED NOT NULL PRIMARY KEY, "
                       "`name` VARCHAR(255) NOT NULL, "
                       "`applied_at` DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)"
                       ") ENGINE=InnoDB DEFAULT CHARSET=utf8mb4") != 0) {
        rc = -1;
        goto unlock;
    }
    for (size_t i = 0; i < n; i++) {
        long long version = atoll(names[i]);
        long long have = db_scalar_int("SELECT COUNT(*) FROM `schema_migrations` WHERE `version` = ?", "i", version);
        if (have < 0) { rc = -1; break; }
        if (have > 0) continue;
        char path[2048];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        char *sql = slurp(path);
        if (!sql) {
            log_err("migrate", "cannot read %s", path);
            rc = -1;
            break;
        }
        int ok = db_exec_script(sql) == 0;
        free(sql);
        if (!ok) {
            log_err("migrate", "%s failed: %s", names[i], db_error());
            rc = -1;
            break;
        }
        if (db_exec("INSERT INTO `schema_migrations` (`version`, `name`) VALUES (?, ?)", "is", version, names[i]) < 0) {
            rc = -1;
            break;
        }
        log_info("migrate", "applied %s", names[i]);
    }
unlock:
    db_scalar_int("SELECT RELEASE_LOCK('echelon_schema')", "");
out:
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    return rc;
}
