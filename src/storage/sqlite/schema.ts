/** Versioned migrations of the embedded store, applied in order at start. Never edit a shipped one. */

/**
 * Fills the credit rollup from the credits (storage/credit-rollup.ts: the spans, keys numbered
 * in `credit_keys` with NULL stored as "" and a bit in `nulls`). Version 12 runs it once;
 * benchmarks that write credits straight into the table run it after.
 */
export const CREDIT_ROLLUP_BACKFILL = `
INSERT OR IGNORE INTO credit_keys (workspace_id, platform, campaign, ad, currency, nulls)
SELECT DISTINCT workspace_id, platform, COALESCE(campaign, ''), COALESCE(ad, ''), COALESCE(currency, ''),
  (campaign IS NULL) + 2 * (ad IS NULL) + 4 * (currency IS NULL)
FROM credits;
INSERT INTO credit_rollup (workspace_id, model, span, start, key_id, flagged, n, credit, value)
SELECT c.workspace_id, c.model, s.span, c.event_time - (((c.event_time % s.span) + s.span) % s.span), k.id,
  c.flagged <> 0, count(*), SUM(c.credit), SUM(c.credit * COALESCE(c.value, 0))
FROM credits c
JOIN credit_keys k ON k.workspace_id = c.workspace_id AND k.platform = c.platform
  AND k.campaign = COALESCE(c.campaign, '') AND k.ad = COALESCE(c.ad, '') AND k.currency = COALESCE(c.currency, '')
  AND k.nulls = (c.campaign IS NULL) + 2 * (c.ad IS NULL) + 4 * (c.currency IS NULL)
CROSS JOIN (SELECT 3600000 AS span UNION ALL SELECT 86400000 UNION ALL SELECT 345600000 UNION ALL SELECT 1382400000) AS s
WHERE c.retracted = 0
GROUP BY 1, 2, 3, 4, 5, 6;
`;

export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT NOT NULL, timezone TEXT NOT NULL,
  default_country TEXT, allowed_origins TEXT NOT NULL DEFAULT '[]', consent_default TEXT NOT NULL DEFAULT 'denied',
  public_key TEXT NOT NULL UNIQUE, secret_key_hash TEXT NOT NULL UNIQUE, created_at INTEGER NOT NULL);
CREATE TABLE conversion_actions (
  workspace_id TEXT NOT NULL, name TEXT NOT NULL, required TEXT NOT NULL,
  click_window_days REAL NOT NULL, view_window_days REAL NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, name)) WITHOUT ROWID;
CREATE TABLE events (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, event_name TEXT NOT NULL, is_conversion INTEGER NOT NULL,
  test_event_code TEXT, event_time INTEGER NOT NULL, received_at INTEGER NOT NULL, event_id TEXT, order_id TEXT,
  value REAL, currency TEXT, attributed INTEGER NOT NULL DEFAULT 0, payload TEXT NOT NULL, ip_enc TEXT);
CREATE INDEX events_conversions ON events (workspace_id, event_time, id) WHERE is_conversion = 1 AND test_event_code IS NULL;
CREATE INDEX events_ip ON events (received_at) WHERE ip_enc IS NOT NULL;
CREATE TABLE credits (
  event_ref TEXT NOT NULL, workspace_id TEXT NOT NULL, model TEXT NOT NULL, event_time INTEGER NOT NULL,
  ord INTEGER NOT NULL, platform TEXT NOT NULL, campaign TEXT, ad TEXT, touch_time INTEGER NOT NULL,
  credit REAL NOT NULL, value REAL, currency TEXT,
  PRIMARY KEY (event_ref, model, ord)) WITHOUT ROWID;
CREATE INDEX credits_report ON credits (workspace_id, model, event_time);
CREATE TABLE dedup_keys (
  workspace_id TEXT NOT NULL, key TEXT NOT NULL, event_ref TEXT NOT NULL, received_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, key)) WITHOUT ROWID;
CREATE INDEX dedup_keys_age ON dedup_keys (received_at);
CREATE TABLE identities (
  workspace_id TEXT NOT NULL, ident TEXT NOT NULL, person TEXT NOT NULL,
  PRIMARY KEY (workspace_id, ident)) WITHOUT ROWID;
CREATE INDEX identities_person ON identities (workspace_id, person);
CREATE TABLE touches (
  seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, workspace_id TEXT NOT NULL, kind TEXT NOT NULL,
  time INTEGER NOT NULL, platform TEXT NOT NULL, campaign TEXT, ad TEXT, touch_id TEXT, click_id TEXT,
  person TEXT, received_at INTEGER NOT NULL);
CREATE INDEX touches_person ON touches (workspace_id, person, time);
CREATE UNIQUE INDEX touches_touch_id ON touches (workspace_id, touch_id) WHERE touch_id IS NOT NULL;
CREATE UNIQUE INDEX touches_click_id ON touches (workspace_id, click_id) WHERE click_id IS NOT NULL;
CREATE TABLE links (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, destination_url TEXT NOT NULL, platform TEXT NOT NULL,
  campaign TEXT NOT NULL, ad TEXT, created_at INTEGER NOT NULL);
CREATE TABLE rollups_minute (
  workspace_id TEXT NOT NULL, start INTEGER NOT NULL,
  received INTEGER NOT NULL DEFAULT 0, accepted INTEGER NOT NULL DEFAULT 0, conversions INTEGER NOT NULL DEFAULT 0,
  value REAL NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,
  clicks INTEGER NOT NULL DEFAULT 0, impressions INTEGER NOT NULL DEFAULT 0, latency TEXT, pipeline TEXT,
  PRIMARY KEY (workspace_id, start)) WITHOUT ROWID;
CREATE TABLE rollups_hour (
  workspace_id TEXT NOT NULL, start INTEGER NOT NULL,
  received INTEGER NOT NULL DEFAULT 0, accepted INTEGER NOT NULL DEFAULT 0, conversions INTEGER NOT NULL DEFAULT 0,
  value REAL NOT NULL DEFAULT 0, duplicates INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,
  clicks INTEGER NOT NULL DEFAULT 0, impressions INTEGER NOT NULL DEFAULT 0, latency TEXT, pipeline TEXT,
  PRIMARY KEY (workspace_id, start)) WITHOUT ROWID;
CREATE TABLE destinations (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, events TEXT,
  config_enc TEXT NOT NULL, created_at INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, destination_id TEXT NOT NULL, event_ref TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0, last_status_code INTEGER, last_error TEXT,
  delivered_at INTEGER, created_at INTEGER NOT NULL, dedup_id TEXT);
CREATE INDEX deliveries_due ON deliveries (destination_id, status, next_attempt_at);
CREATE INDEX deliveries_list ON deliveries (workspace_id, destination_id, status, created_at);
CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, csrf_token TEXT NOT NULL, expires_at INTEGER NOT NULL);
`,
  },
  {
    // Keys rotated out and still within their grace period (POST /v1/workspace/keys/rotate):
    // `value` is the old public key, or the old secret key's hash.
    version: 2,
    sql: `
CREATE TABLE retired_keys (
  kind TEXT NOT NULL, value TEXT NOT NULL, workspace_id TEXT NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (kind, value)) WITHOUT ROWID;
CREATE INDEX retired_keys_workspace ON retired_keys (workspace_id, kind);
`,
  },
  {
    // A value sealed with the encryption key at the first start: a later start with another
    // key cannot open it and refuses to run (security/key-check.ts).
    version: 3,
    sql: `
CREATE TABLE key_check (id INTEGER PRIMARY KEY CHECK (id = 1), sealed TEXT NOT NULL, created_at INTEGER NOT NULL);
`,
  },
  {
    // Item: the server copy supersedes a browser copy (events.source, superseded_at; later
    // copies in event_arrivals), and outbox rows routed from the database in the commit
    // (destinations.route_events: the names it takes, null = every conversion action; for
    // google_ads and linkedin rows of before, null until forwarding reads their config).
    version: 4,
    sql: `
ALTER TABLE events ADD COLUMN source TEXT;
ALTER TABLE events ADD COLUMN superseded_at INTEGER;
CREATE TABLE event_arrivals (
  id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, event_ref TEXT NOT NULL, source TEXT NOT NULL,
  received_at INTEGER NOT NULL, event_id TEXT, status TEXT NOT NULL);
CREATE INDEX event_arrivals_event ON event_arrivals (workspace_id, event_ref);
ALTER TABLE destinations ADD COLUMN route_events TEXT;
UPDATE destinations SET route_events = events;
CREATE INDEX deliveries_event ON deliveries (event_ref);
CREATE INDEX destinations_workspace ON destinations (workspace_id);
`,
  },
  {
    // The erasure log: when, and how many identifiers — never which.
    version: 5,
    sql: `
CREATE TABLE erasures (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, erased_at INTEGER NOT NULL, identifiers INTEGER NOT NULL);
CREATE INDEX erasures_list ON erasures (workspace_id, erased_at);
`,
  },
  {
    // Spend (POST /v1/spend, imports, spend sources): one row per day and (platform, account,
    // campaign, ad), the campaign and ad keyed by their id when known, else their name
    // (storage/spend-store.ts). Spend sources keep their config sealed like destinations.
    // credits_performance covers the performance report's scan of credits (no table lookups).
    version: 6,
    sql: `
CREATE TABLE spend (
  workspace_id TEXT NOT NULL, date TEXT NOT NULL, platform TEXT NOT NULL, account TEXT NOT NULL,
  campaign_key TEXT NOT NULL, ad_key TEXT NOT NULL, campaign TEXT NOT NULL, campaign_id TEXT, ad TEXT, ad_id TEXT,
  spend REAL NOT NULL, currency TEXT NOT NULL, impressions INTEGER, clicks INTEGER, source_id TEXT,
  updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, date, platform, account, campaign_key, ad_key)) WITHOUT ROWID;
CREATE TABLE spend_sources (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, config_enc TEXT NOT NULL,
  interval_minutes INTEGER NOT NULL, created_at INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0,
  last_sync_at INTEGER, last_error TEXT, last_rows INTEGER, next_sync_at INTEGER NOT NULL);
CREATE INDEX spend_sources_workspace ON spend_sources (workspace_id);
CREATE INDEX spend_sources_due ON spend_sources (next_sync_at) WHERE deleted = 0;
CREATE INDEX credits_performance ON credits (workspace_id, model, event_time, platform, campaign, ad, credit, value, currency);
`,
  },
  {
    // Rules and signals (POST /v1/rules, GET /v1/signals; storage/rules-store.ts): rule_fires is
    // the cooldown fence of each (rule, key), shared by every node; signals keep what applying
    // them did; budget_days the budget of a key before its first change of a day. Outbox rows
    // gain a kind ('event': event_ref is an event; 'signal': event_ref is a signal and payload
    // its JSON), so other kinds of deliveries join the same outbox.
    version: 7,
    sql: `
CREATE TABLE rules (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, spec TEXT NOT NULL, created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, deleted INTEGER NOT NULL DEFAULT 0);
CREATE INDEX rules_workspace ON rules (workspace_id);
CREATE TABLE rule_fires (
  rule_id TEXT NOT NULL, key TEXT NOT NULL, workspace_id TEXT NOT NULL, fired_at INTEGER NOT NULL,
  PRIMARY KEY (rule_id, key)) WITHOUT ROWID;
CREATE INDEX rule_fires_workspace ON rule_fires (workspace_id);
CREATE TABLE signals (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, rule_id TEXT NOT NULL, at INTEGER NOT NULL, data TEXT NOT NULL,
  applied TEXT, apply_pending INTEGER NOT NULL DEFAULT 0, apply_attempts INTEGER NOT NULL DEFAULT 0,
  apply_next_at INTEGER NOT NULL DEFAULT 0, apply_lease_until INTEGER NOT NULL DEFAULT 0);
CREATE INDEX signals_list ON signals (workspace_id, at);
CREATE INDEX signals_apply ON signals (apply_next_at) WHERE apply_pending = 1;
CREATE TABLE budget_days (
  workspace_id TEXT NOT NULL, platform TEXT NOT NULL, key TEXT NOT NULL, day TEXT NOT NULL, base REAL NOT NULL,
  PRIMARY KEY (workspace_id, platform, key, day)) WITHOUT ROWID;
ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'event';
ALTER TABLE deliveries ADD COLUMN payload TEXT;
`,
  },
  {
    // Traffic quality (quality/, docs/quality.md): each event's and flagged click's decision
    // (score, and the flags as a bit mask in QUALITY_FLAGS order: 0 = clean; a flagged one keeps
    // the first 8 characters of its address key for the top-addresses list, never an address), a credit row's
    // conversion flagged (reports leave it out under flagged_conversions = 'exclude'), the
    // workspace's thresholds (NULL = the default), flagged counts in the rollups, (the
    // counters themselves live in the writer thread: storage/sqlite/quality-counters.ts).
    version: 8,
    sql: `
ALTER TABLE events ADD COLUMN quality_score INTEGER;
ALTER TABLE events ADD COLUMN quality_flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE touches ADD COLUMN quality_score INTEGER;
ALTER TABLE touches ADD COLUMN quality_flags INTEGER NOT NULL DEFAULT 0;
ALTER TABLE credits ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE workspaces ADD COLUMN quality_min_click_to_conversion_seconds REAL;
ALTER TABLE workspaces ADD COLUMN quality_max_clicks_per_ip_per_minute INTEGER;
ALTER TABLE workspaces ADD COLUMN quality_max_conversions_per_identity_per_hour INTEGER;
ALTER TABLE workspaces ADD COLUMN flagged_conversions TEXT;
ALTER TABLE rollups_minute ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups_minute ADD COLUMN flagged_value REAL NOT NULL DEFAULT 0;
ALTER TABLE rollups_minute ADD COLUMN flagged_clicks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups_hour ADD COLUMN flagged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE rollups_hour ADD COLUMN flagged_value REAL NOT NULL DEFAULT 0;
ALTER TABLE rollups_hour ADD COLUMN flagged_clicks INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN quality_key TEXT;
ALTER TABLE touches ADD COLUMN quality_key TEXT;
CREATE INDEX touches_quality ON touches (workspace_id, time) WHERE kind = 'click';
`,
  },
  {
    // Experiments: each person's first exposure per experiment (moved to the surviving person
    // when two merge, the earlier exposure kept), the variants seen, and the person of each
    // conversion, so a report joins conversions to exposures without reading payloads.
    version: 9,
    sql: `
CREATE TABLE experiment_exposures (
  workspace_id TEXT NOT NULL, experiment TEXT NOT NULL, person TEXT NOT NULL, variant TEXT NOT NULL,
  first_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, experiment, person)) WITHOUT ROWID;
CREATE INDEX experiment_exposures_person ON experiment_exposures (workspace_id, person);
CREATE INDEX experiment_exposures_variant ON experiment_exposures (workspace_id, experiment, variant, first_at);
CREATE TABLE experiment_variants (
  workspace_id TEXT NOT NULL, experiment TEXT NOT NULL, variant TEXT NOT NULL,
  first_seen INTEGER NOT NULL, last_seen INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, experiment, variant)) WITHOUT ROWID;
ALTER TABLE events ADD COLUMN person TEXT;
CREATE INDEX events_person ON events (workspace_id, person) WHERE is_conversion = 1 AND person IS NOT NULL;
CREATE INDEX events_experiment ON events (workspace_id, event_name, event_time, person, value, currency)
  WHERE is_conversion = 1 AND test_event_code IS NULL AND person IS NOT NULL;
`,
  },
  {
    // CRM reconciliation: the business's orders (one row per order id), the adjustments of
    // conversions (their history), and on events and credits what an adjustment changes: a
    // `retracted` marker every report honours, and the value as tracked before the first
    // adjustment (the reconciliation report compares it). The performance index leaves
    // retracted credit out; conversions are found by order id, and the reconciliation reads a
    // month of conversions from one covering index (events_reconcile).
    version: 10,
    sql: `
CREATE TABLE crm_orders (
  workspace_id TEXT NOT NULL, order_id TEXT NOT NULL, event_name TEXT NOT NULL, time INTEGER NOT NULL,
  value REAL NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, order_id)) WITHOUT ROWID;
CREATE INDEX crm_orders_time ON crm_orders (workspace_id, event_name, time, value, status);
CREATE TABLE adjustments (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, conversion_id TEXT NOT NULL, type TEXT NOT NULL,
  source TEXT NOT NULL, order_id TEXT, value REAL, currency TEXT, previous_value REAL, previous_currency TEXT,
  adjusted_at INTEGER NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX adjustments_conversion ON adjustments (workspace_id, conversion_id, created_at);
ALTER TABLE events ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN adjusted_at INTEGER;
ALTER TABLE events ADD COLUMN tracked_value REAL;
ALTER TABLE credits ADD COLUMN retracted INTEGER NOT NULL DEFAULT 0;
DROP INDEX credits_performance;
CREATE INDEX credits_performance ON credits (workspace_id, model, event_time, platform, campaign, ad, credit, value, currency)
  WHERE retracted = 0;
DROP INDEX events_experiment;
CREATE INDEX events_experiment ON events (workspace_id, event_name, event_time, person, value, currency)
  WHERE is_conversion = 1 AND test_event_code IS NULL AND person IS NOT NULL AND retracted = 0;
CREATE INDEX events_reconcile ON events (workspace_id, event_name, event_time, order_id, value, adjusted_at, tracked_value, id)
  WHERE is_conversion = 1 AND test_event_code IS NULL;
CREATE INDEX events_order ON events (workspace_id, order_id, event_name)
  WHERE is_conversion = 1 AND test_event_code IS NULL AND order_id IS NOT NULL;
`,
  },
  {
    // Monitoring (issue 17): series counters in 10-second slots and per hour (monitoring/series.ts),
    // alerts (one firing row per workspace, kind and subject), rule settings, alert channels and
    // their outbox. Migrations 6–10 belong to other features; versions apply in order of number.
    version: 11,
    sql: `
CREATE TABLE series_10s (
  workspace_id TEXT NOT NULL, start INTEGER NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, start, key)) WITHOUT ROWID;
CREATE INDEX series_10s_start ON series_10s (start);
CREATE TABLE series_hour (
  workspace_id TEXT NOT NULL, start INTEGER NOT NULL, key TEXT NOT NULL, count INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, start, key)) WITHOUT ROWID;
CREATE INDEX series_hour_start ON series_hour (start);
CREATE TABLE alerts (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
  status TEXT NOT NULL, severity TEXT NOT NULL, started_at INTEGER NOT NULL, resolved_at INTEGER,
  message TEXT NOT NULL, diagnosis TEXT, details TEXT NOT NULL);
CREATE UNIQUE INDEX alerts_firing ON alerts (workspace_id, kind, subject) WHERE status = 'firing';
CREATE INDEX alerts_list ON alerts (workspace_id, started_at);
CREATE TABLE alert_rules (
  workspace_id TEXT NOT NULL, kind TEXT NOT NULL, settings TEXT NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY (workspace_id, kind)) WITHOUT ROWID;
CREATE TABLE alert_channels (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, type TEXT NOT NULL, config_enc TEXT NOT NULL,
  min_severity TEXT NOT NULL, created_at INTEGER NOT NULL, deleted_at INTEGER);
CREATE INDEX alert_channels_workspace ON alert_channels (workspace_id);
CREATE TABLE alert_outbox (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, channel_id TEXT NOT NULL, alert_id TEXT NOT NULL,
  body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at INTEGER NOT NULL,
  lease_owner TEXT, lease_until INTEGER NOT NULL DEFAULT 0, last_error TEXT, created_at INTEGER NOT NULL,
  delivered_at INTEGER);
CREATE INDEX alert_outbox_due ON alert_outbox (status, next_attempt_at);
CREATE INDEX alert_outbox_channel ON alert_outbox (channel_id, created_at);
`,
  },
  {
    // The credit rollup (storage/credit-rollup.ts): credit sums per workspace, model, block of
    // 1 h / 1 d / 4 d / 16 d, key (platform, campaign, ad, currency; numbered in
    // credit_keys) and flagged (traffic quality), kept in the commit wherever credits are written or changed, read by the
    // performance and attribution reports. Filled from the credits here; the covering index
    // it replaces goes.
    version: 12,
    sql: `
CREATE TABLE credit_keys (
  id INTEGER PRIMARY KEY, workspace_id TEXT NOT NULL, platform TEXT NOT NULL, campaign TEXT NOT NULL, ad TEXT NOT NULL,
  currency TEXT NOT NULL, nulls INTEGER NOT NULL);
CREATE UNIQUE INDEX credit_keys_key ON credit_keys (workspace_id, platform, campaign, ad, currency, nulls);
CREATE TABLE credit_rollup (
  workspace_id TEXT NOT NULL, model TEXT NOT NULL, span INTEGER NOT NULL, start INTEGER NOT NULL, key_id INTEGER NOT NULL,
  flagged INTEGER NOT NULL, n INTEGER NOT NULL, credit REAL NOT NULL, value REAL NOT NULL,
  PRIMARY KEY (workspace_id, model, span, start, key_id, flagged)) WITHOUT ROWID;
${CREDIT_ROLLUP_BACKFILL}
DROP INDEX credits_performance;
`,
  },
];
