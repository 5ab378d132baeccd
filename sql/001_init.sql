-- 001_init.sql -- the whole schema of spec/30 §1 (eleven tables, the indexes of
-- §1.3 plus the recommended extra one), and what the architecture adds:
--
--   * `record_id` on both raw tables: a 16-byte unique id per record (the spool
--     record id, or the UUID `view_id` / `event_id` of bulk ingest, as 16 raw
--     bytes). The shipper's INSERT IGNORE and ingest's idempotency rely on its
--     UNIQUE key (ARCHITECTURE.md "exactly-once effect", product decision 1).
--     NULL is allowed, so a row inserted with only the spec's columns is valid.
--   * `visitor_views_daily_dim`: per-site, per-day groups that make the overview
--     fast at millions of rows and give the per-day distinct visitor totals of
--     product decision 6 (dim 'site' with label '' is the day's distinct
--     visitors of the site). Written only by maintenance, in the same
--     transaction as `visitor_views_daily`.
--
-- Conventions (spec/30 §1.1): utf8mb4 with the binary no-pad collation for all
-- text (exact, case- and trailing-space-sensitive comparison), DATETIME(3) in
-- UTC (defaults use UTC_TIMESTAMP so they hold whatever the session time zone),
-- InnoDB, foreign keys enforced. Statements end with ';' at line end (the
-- migration runner splits on that); no DELIMITER.
-- Targets MariaDB 10.11. (MySQL 8 has no *_nopad_bin collation: there use
-- utf8mb4_0900_bin, also NO PAD, in a separate migration set.)

CREATE TABLE IF NOT EXISTS `visitor_views` (
  `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  `visitor_id` VARCHAR(128) NOT NULL,
  `path` VARCHAR(2048) NOT NULL,
  `site_id` VARCHAR(64) NOT NULL,
  `session_id` VARCHAR(64) NULL DEFAULT NULL,
  `interaction_ms` INT NULL DEFAULT NULL,
  `screen_width` INT NULL DEFAULT NULL,
  `screen_height` INT NULL DEFAULT NULL,
  `device_type` VARCHAR(32) NULL DEFAULT NULL,
  `os_name` VARCHAR(64) NULL DEFAULT NULL,
  `browser_name` VARCHAR(64) NULL DEFAULT NULL,
  `browser_version` VARCHAR(64) NULL DEFAULT NULL,
  `country_code` VARCHAR(32) NULL DEFAULT NULL,
  `is_returning` TINYINT NOT NULL DEFAULT 0,
  `referrer` VARCHAR(2048) NULL DEFAULT NULL,
  `referrer_type` VARCHAR(32) NULL DEFAULT NULL,
  `bot_score` SMALLINT NOT NULL DEFAULT 0,
  `bot_score_detail` TEXT NULL DEFAULT NULL,
  `is_pwa` TINYINT NOT NULL DEFAULT 0,
  `utm_source` VARCHAR(256) NULL DEFAULT NULL,
  `utm_medium` VARCHAR(256) NULL DEFAULT NULL,
  `utm_campaign` VARCHAR(256) NULL DEFAULT NULL,
  `utm_content` VARCHAR(256) NULL DEFAULT NULL,
  `utm_term` VARCHAR(256) NULL DEFAULT NULL,
  `created_at` DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  `record_id` BINARY(16) NULL DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_vv_record` (`record_id`),
  KEY `idx_vv_visitor` (`visitor_id`),
  KEY `idx_vv_site_created` (`site_id`, `created_at`),
  KEY `idx_vv_path` (`path`(255)),
  KEY `idx_vv_country` (`country_code`),
  KEY `idx_vv_device` (`device_type`),
  KEY `idx_vv_created_bot` (`created_at`, `bot_score`),
  KEY `idx_vv_utm_campaign` (`utm_campaign`),
  KEY `idx_vv_utm_site_created` (`utm_campaign`, `site_id`, `created_at`),
  KEY `idx_vv_site_created_clean` (`site_id`, `created_at`, `bot_score`),
  KEY `idx_vv_bot_score` (`bot_score`, `visitor_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS `visitor_views_daily` (
  `site_id` VARCHAR(64) NOT NULL,
  `date` DATE NOT NULL,
  `device_type` VARCHAR(32) NOT NULL DEFAULT 'unknown',
  `country_code` VARCHAR(32) NOT NULL DEFAULT 'unknown',
  `is_returning` TINYINT NOT NULL DEFAULT 0,
  `visits` INT UNSIGNED NOT NULL DEFAULT 0,
  `unique_visitors` INT UNSIGNED NOT NULL DEFAULT 0,
  `avg_interaction_ms` INT NULL DEFAULT 0,
  PRIMARY KEY (`site_id`, `date`, `device_type`, `country_code`, `is_returning`),
  KEY `idx_vvd_site_date` (`site_id`, `date`),
  KEY `idx_vvd_date` (`date`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- One row per (site, dimension, day, label). dim is one of
--   'site'       label ''                     the site's day total
--   'path'       path
--   'referrer'   referrer_type (NULL kept)
--   'os'         os_name (NULL kept; shown as "Unknown")
--   'browser'    "name version" / name / "Unknown"
--   'resolution' "<w>x<h>", NULL sides as 0
--   'country'    IFNULL(country_code,'unknown')
--   'device'     IFNULL(device_type,'unknown')
-- views = clean, non-excluded rows of the day; visitors = distinct visitor_id
-- of the day within the group. label_key = MD5 of the label with a NULL marker,
-- because a 2048-character label cannot be part of a key.
CREATE TABLE IF NOT EXISTS `visitor_views_daily_dim` (
  `site_id` VARCHAR(64) NOT NULL,
  `dim` VARCHAR(16) NOT NULL,
  `date` DATE NOT NULL,
  `label_key` BINARY(16) NOT NULL,
  `label` VARCHAR(2048) NULL DEFAULT NULL,
  `views` INT UNSIGNED NOT NULL DEFAULT 0,
  `visitors` INT UNSIGNED NOT NULL DEFAULT 0,
  PRIMARY KEY (`site_id`, `dim`, `date`, `label_key`),
  KEY `idx_vvdd_date` (`date`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS `semantic_events` (
  `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  `event_type` VARCHAR(64) NOT NULL,
  `site_id` VARCHAR(64) NOT NULL,
  `session_id` VARCHAR(64) NULL DEFAULT NULL,
  `visitor_id` VARCHAR(128) NULL DEFAULT NULL,
  `data` MEDIUMTEXT NULL DEFAULT NULL,
  `experiment_id` VARCHAR(128) NULL DEFAULT NULL,
  `variant_id` VARCHAR(128) NULL DEFAULT NULL,
  `utm_campaign` VARCHAR(256) NULL DEFAULT NULL,
  `device_type` VARCHAR(32) NULL DEFAULT NULL,
  `referrer` VARCHAR(2048) NULL DEFAULT NULL,
  `hour` TINYINT NULL DEFAULT NULL,
  `month` TINYINT NULL DEFAULT NULL,
  `day_of_week` TINYINT NULL DEFAULT NULL,
  `is_returning` TINYINT NOT NULL DEFAULT 0,
  `bot_score` SMALLINT NOT NULL DEFAULT 0,
  `bot_score_detail` TEXT NULL DEFAULT NULL,
  `created_at` DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  `record_id` BINARY(16) NULL DEFAULT NULL,
  PRIMARY KEY (`id`),
  UNIQUE KEY `uq_se_record` (`record_id`),
  KEY `idx_se_site_type_created` (`site_id`, `event_type`, `created_at`),
  KEY `idx_se_visitor` (`visitor_id`),
  KEY `idx_se_created_bot` (`created_at`, `bot_score`),
  KEY `idx_se_experiment` (`experiment_id`, `variant_id`),
  KEY `idx_se_utm_campaign` (`utm_campaign`, `site_id`),
  KEY `idx_se_site_created` (`site_id`, `created_at`, `bot_score`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS `excluded_visitors` (
  `visitor_id` VARCHAR(128) NOT NULL,
  `label` VARCHAR(256) NULL DEFAULT NULL,
  `created_at` DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  PRIMARY KEY (`visitor_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS `experiments` (
  `experiment_id` VARCHAR(128) NOT NULL,
  `name` VARCHAR(256) NOT NULL,
  `description` VARCHAR(1024) NULL DEFAULT NULL,
  `status` VARCHAR(16) NOT NULL DEFAULT 'draft',
  `metric_event_type` VARCHAR(128) NOT NULL,
  `allocation_percent` DOUBLE NOT NULL DEFAULT 100,
  `created_at` DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  `started_at` DATETIME(3) NULL DEFAULT NULL,
  `ended_at` DATETIME(3) NULL DEFAULT NULL,
  PRIMARY KEY (`experiment_id`),
  CONSTRAINT `chk_exp_status`
    CHECK (`status` IN ('draft', 'active', 'paused', 'completed', 'archived')),
  CONSTRAINT `chk_exp_allocation`
    CHECK (`allocation_percent` >= 1 AND `allocation_percent` <= 100)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS `experiment_variants` (
  `experiment_id` VARCHAR(128) NOT NULL,
  `variant_id` VARCHAR(128) NOT NULL,
  `name` VARCHAR(256) NOT NULL,
  `weight` DOUBLE NOT NULL,
  `is_control` TINYINT NOT NULL DEFAULT 0,
  `config` TEXT NULL DEFAULT NULL,
  PRIMARY KEY (`experiment_id`, `variant_id`),
  CONSTRAINT `fk_ev_experiment` FOREIGN KEY (`experiment_id`)
    REFERENCES `experiments` (`experiment_id`) ON DELETE CASCADE,
  CONSTRAINT `chk_ev_weight` CHECK (`weight` > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS `utm_campaigns` (
  `id` VARCHAR(128) NOT NULL,
  `name` VARCHAR(256) NOT NULL,
  `utm_campaign` VARCHAR(256) NOT NULL,
  `site_id` VARCHAR(64) NOT NULL DEFAULT 'default',
  `status` VARCHAR(16) NOT NULL DEFAULT 'active',
  `created_at` DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  PRIMARY KEY (`id`),
  UNIQUE KEY `idx_uc_campaign_site` (`utm_campaign`, `site_id`),
  CONSTRAINT `chk_uc_status` CHECK (`status` IN ('active', 'paused', 'archived'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS `site_settings` (
  `site_id` VARCHAR(64) NOT NULL,
  `consent_css` TEXT NULL DEFAULT NULL,
  `updated_at` DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  PRIMARY KEY (`site_id`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS `instance_settings` (
  `key` VARCHAR(64) NOT NULL,
  `value` TEXT NOT NULL,
  `updated_at` DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  PRIMARY KEY (`key`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

CREATE TABLE IF NOT EXISTS `perf_metrics` (
  `id` BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
  `recorded_at` DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  `commit_hash` VARCHAR(64) NULL DEFAULT NULL,
  `branch` VARCHAR(128) NULL DEFAULT NULL,
  `category` VARCHAR(128) NOT NULL,
  `metric` VARCHAR(128) NOT NULL,
  `value` DOUBLE NOT NULL,
  `unit` VARCHAR(32) NOT NULL,
  `metadata` TEXT NULL DEFAULT NULL,
  PRIMARY KEY (`id`),
  KEY `idx_perf_metrics_time` (`recorded_at`),
  KEY `idx_perf_metrics_cat` (`category`, `metric`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;

-- One row per rolled-up day. A day counts as rolled up (and the overview
-- reads its rollups instead of its raw rows) exactly when its row is
-- 'complete'; maintenance writes rows for caught-up days as well.
CREATE TABLE IF NOT EXISTS `maintenance_log` (
  `date` DATE NOT NULL,
  `status` VARCHAR(16) NOT NULL DEFAULT 'started',
  `rollup_rows` INT NULL DEFAULT NULL,
  `purge_views` INT NULL DEFAULT NULL,
  `purge_events` INT NULL DEFAULT NULL,
  `started_at` DATETIME(3) NOT NULL DEFAULT UTC_TIMESTAMP(3),
  `completed_at` DATETIME(3) NULL DEFAULT NULL,
  PRIMARY KEY (`date`),
  KEY `idx_ml_status_date` (`status`, `date`)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin;
