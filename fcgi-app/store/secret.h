/* secret: the cluster's shared secret when ECHELON_SECRET is not configured
 * (spec/README decision 3). The first process to need it generates 32 random
 * bytes and stores them (hex) in instance_settings under `echelon_secret`
 * with INSERT IGNORE; every process then reads the same value, so PoW
 * verification and visitor hashing agree across workers and hosts.
 * Never: overrides a configured ECHELON_SECRET. */
#ifndef ECHELON_STORE_SECRET_H
#define ECHELON_STORE_SECRET_H
/* 0 when cfg->secret is non-empty afterwards, -1 when MariaDB is unreachable. */
int secret_ensure(void);
#endif
