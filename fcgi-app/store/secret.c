/* secret.c -- a generated, shared secret when none is configured (see secret.h). */
#include "store/secret.h"
#include "store/db.h"
#include "core/config.h"
#include "core/log.h"
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int secret_ensure(void)
{
    if (*cfg->secret) return 0;
    unsigned char rnd[32];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -1;
    ssize_t n = read(fd, rnd, sizeof rnd);
    close(fd);
    if (n != (ssize_t)sizeof rnd) return -1;
    char hex[65];
    for (size_t i = 0; i < sizeof rnd; i++) snprintf(hex + 2 * i, 3, "%02x", rnd[i]);
    if (db_exec("INSERT IGNORE INTO `instance_settings` (`key`, `value`, `updated_at`) "
                "VALUES ('echelon_secret', ?, UTC_TIMESTAMP(3))", "s", hex) < 0)
        return -1;
    db_res_t *r;
    if (db_query(&r, "SELECT `value` FROM `instance_settings` WHERE `key` = 'echelon_secret'", "") != 0)
        return -1;
    int rc = -1;
    if (db_next(r) && db_str(r, 0) && *db_str(r, 0)) {
        config_set_secret(db_str(r, 0));
        log_info("secret", "using the cluster's generated secret (echelon-ctl secret prints it)");
        rc = 0;
    }
    db_free(r);
    return rc;
}
