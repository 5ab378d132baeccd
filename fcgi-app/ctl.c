/* echelon-ctl: the admin tool. Runs against the same configuration as the
 * workers (echelon.conf + ECHELON_* environment).
 *
 * Each command is one row of `commands[]`; owners add their rows in their
 * section. A command gets argc/argv after the command name and returns the
 * process exit status. */
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include "core/config.h"
#include "core/log.h"
#include "store/db.h"
#include "store/kv.h"
#include "store/migrate.h"
#include "store/shipper.h"
#include "store/secret.h"
#include <gcrypt.h>
#include "collect/ship.h"
#include "defense/defense.h"
#include "api/auth.h"
#include "api/maintain.h"

typedef struct ctl_cmd {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *help;
} ctl_cmd_t;

static int cmd_migrate(int argc, char **argv)
{
    (void)argc; (void)argv;
    return migrate_run(cfg->sql_dir) == 0 ? 0 : 1;
}

static int cmd_secret(int argc, char **argv)
{
    (void)argc; (void)argv;
    if (secret_ensure() != 0) {
        fprintf(stderr, "echelon-ctl: cannot read or create the shared secret (is MariaDB up and migrated?)\n");
        return 1;
    }
    printf("%s\n", cfg->secret);
    return 0;
}

static int cmd_help(int argc, char **argv);

/* What commands that touch data need, like a worker: libgcrypt, the shared
 * secret (best effort: a down database is reported by the command itself),
 * and the spool ship handlers so `flush` can store every record type. */
static void ctl_setup(void)
{
    if (!gcry_control(GCRYCTL_INITIALIZATION_FINISHED_P)) {
        gcry_check_version(NULL);
        gcry_control(GCRYCTL_DISABLE_SECMEM, 0);
        gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);
    }
    secret_ensure();
    ship_init();
    defense_init();
}

static const ctl_cmd_t commands[] = {
    /* == core (owner: lead) == */
    { "migrate", cmd_migrate, "apply pending sql/NNN_*.sql migrations" },
    { "secret", cmd_secret, "print the cluster secret (generated once when ECHELON_SECRET is unset)" },
    { "help", cmd_help, "list commands" },
    /* == end core == */
    /* == spool (owner: spool) == */
    { "flush", shipper_ctl_flush, "ship every spooled record to MariaDB now" },
    /* == end spool == */
    /* == defense (owner: defense) == */
    { "correlate", defense_ctl_correlate, "run one bot-correlator sweep now" },
    { "feeds", defense_ctl_feeds, "feeds refresh [--from DIR] | feeds status: threat feeds" },
    /* == end defense == */
    /* == api (owner: api) == */
    { "hash-password", auth_ctl_hash_password, "read a password on stdin, print its pbkdf2$... hash" },
    /* == end api == */
    /* == stats (owner: stats) == */
    { "maintain", maintain_ctl_maintain, "[--force] daily rollups (catch-up included) and purge, now" },
    { "rollup", maintain_ctl_rollup, "YYYY-MM-DD... re-roll past days" },
    { "purge", maintain_ctl_purge, "[RETENTION [BOT_RETENTION]] retention purge alone" },
    /* == end stats == */
};

static int cmd_help(int argc, char **argv)
{
    (void)argc; (void)argv;
    printf("usage: echelon-ctl COMMAND [ARGS]\n");
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
        printf("  %-16s %s\n", commands[i].name, commands[i].help);
    return 0;
}

int main(int argc, char **argv)
{
    char err[256];
    if (argc < 2) {
        cmd_help(0, NULL);
        return 2;
    }
    if (config_load(err, sizeof err) != 0) {
        fprintf(stderr, "echelon-ctl: configuration: %s\n", err);
        return 2;
    }
    db_set_read_timeout(0);   /* maintenance queries may run long */
    if (strcmp(argv[1], "help") && strcmp(argv[1], "migrate") && strcmp(argv[1], "hash-password") &&
        strcmp(argv[1], "secret"))
        ctl_setup();
    for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
        if (strcmp(commands[i].name, argv[1]) == 0)
            return commands[i].fn(argc - 2, argv + 2);
    }
    fprintf(stderr, "echelon-ctl: unknown command '%s' (try help)\n", argv[1]);
    return 2;
}
