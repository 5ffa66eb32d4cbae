/**
 * Versioned migrations of the PostgreSQL store, applied in order at start under an advisory
 * lock (migrate.ts). Never edit a shipped one; add the next version.
 *
 * Times are unix milliseconds in BIGINT (as in the SQLite store), values DOUBLE PRECISION.
 * The tables mirror storage/sqlite/schema.ts, plus `persons` (one row per identity group,
 * locked while a group is relabelled so two nodes never merge the same person apart) and
 * `live_spill` (live-feed messages too big for one NOTIFY).
 */
/**
 * Fills the credit rollup from the credits, as storage/sqlite/schema.ts. Version 12 runs it
 * once; benchmarks that write credits straight into the table run it after.
 */
export const CREDIT_ROLLUP_BACKFILL = `
INSERT INTO credit_keys (workspace_id, platform, campaign, ad, currency, nulls)
SELECT DISTINCT workspace_id, platform, COALESCE(campaign, ''), COALESCE(ad, ''), COALESCE(currency, ''),
  (campaign IS NULL)::int + 2 * (ad IS NULL)::int + 4 * (currency IS NULL)::int
FROM credits ORDER BY 1, 2, 3, 4, 5, 6
ON CONFLICT DO NOTHING;
INSERT INTO credit_rollup (workspace_id, model, span, start, key_id, flagged, n, credit, value)
SELECT c.workspace_id, c.model, s.span, c.event_time - (((c.event_time % s.span) + s.span) % s.span), k.id,
  c.flagged::int, count(*), SUM(c.credit), SUM(c.credit * COALESCE(c.value, 0))
FROM credits c
JOIN credit_keys k ON k.workspace_id = c.workspace_id AND k.platform = c.platform
  AND k.campaign = COALESCE(c.campaign, '') AND k.ad = COALESCE(c.ad, '') AND k.currency = COALESCE(c.currency, '')
  AND k.nulls = (c.campaign IS NULL)::int + 2 * (c.ad IS NULL)::int + 4 * (c.currency IS NULL)::int
CROSS JOIN (VALUES (3600000::bigint), (86400000), (345600000), (1382400000)) AS s(span)
WHERE NOT c.retracted
GROUP BY 1, 2, 3, 4, 5, 6;
`;

/**
 * Tables that hold no workspace's rows, or are read before the workspace is known, and so keep
 * keys without `workspace_id` (docs/scaling.md: Citus reference or coordinator-local tables).
 * test/postgres/schema-keys.test.ts fails on any other table whose primary key or unique index
 * lacks `workspace_id`.
 */
export const GLOBAL_TABLES: Record<string, string> = {
  workspaces: "the workspaces themselves (the distribution key's own table; found by key hash)",
  retired_keys: "old keys looked up by their value before the workspace is known",
  sessions: "admin dashboard sessions, not a workspace's",
  key_check: "one row: the sealed value that proves the encryption key",
  live_spill: "transient live-feed messages, read by id from a NOTIFY within the hour",
  schema_migrations: "the migration log",
};

/** Events live in one partition per month of `received_at` (UTC), plus a default partition. */
export const EVENTS_PARTITION_FUNCTIONS = `
-- The partition of events for the UTC month holding at_ms, created if missing; rows of that
-- month the default partition caught meanwhile move into it. Returns its name when it made one.
CREATE FUNCTION tally_event_partition(at_ms BIGINT) RETURNS TEXT LANGUAGE plpgsql AS $fn$
DECLARE
  m TIMESTAMP := date_trunc('month', to_timestamp(at_ms / 1000.0) AT TIME ZONE 'UTC');
  lo BIGINT := (extract(epoch FROM m AT TIME ZONE 'UTC') * 1000)::bigint;
  hi BIGINT := (extract(epoch FROM (m + interval '1 month') AT TIME ZONE 'UTC') * 1000)::bigint;
  part TEXT := 'events_' || to_char(m, 'YYYYMM');
  nsp OID := (SELECT relnamespace FROM pg_class WHERE oid = 'events'::regclass);
BEGIN
  IF EXISTS (SELECT 1 FROM pg_class WHERE relname = part AND relnamespace = nsp) THEN RETURN NULL; END IF;
  -- Nodes creating the same month queue here; the later ones find it made.
  PERFORM pg_advisory_xact_lock(7420553801318 + nsp::bigint);
  IF EXISTS (SELECT 1 FROM pg_class WHERE relname = part AND relnamespace = nsp) THEN RETURN NULL; END IF;
  EXECUTE format('CREATE TABLE %I.%I (LIKE events INCLUDING DEFAULTS INCLUDING CONSTRAINTS)', nsp::regnamespace, part);
  EXECUTE format('WITH moved AS (DELETE FROM events_default WHERE received_at >= %s AND received_at < %s RETURNING *)
    INSERT INTO %I.%I SELECT * FROM moved', lo, hi, nsp::regnamespace, part);
  EXECUTE format('ALTER TABLE events ATTACH PARTITION %I.%I FOR VALUES FROM (%s) TO (%s)', nsp::regnamespace, part, lo, hi);
  RETURN part;
END
$fn$;
-- The partitions of the month of now_ms and the next ahead_months months.
CREATE FUNCTION tally_event_partitions_ahead(now_ms BIGINT, ahead_months INTEGER) RETURNS SETOF TEXT LANGUAGE plpgsql AS $fn$
DECLARE
  m TIMESTAMP := date_trunc('month', to_timestamp(now_ms / 1000.0) AT TIME ZONE 'UTC');
  made TEXT;
BEGIN
  FOR k IN 0..ahead_months LOOP
    made := tally_event_partition((extract(epoch FROM (m + k * interval '1 month') AT TIME ZONE 'UTC') * 1000)::bigint);
    IF made IS NOT NULL THEN RETURN NEXT made; END IF;
  END LOOP;
END
$fn$;
-- Retention: drops every monthly partition wholly received before before_ms (and deletes such
-- rows from the default partition). Returns the names dropped.
CREATE FUNCTION tally_drop_event_partitions(before_ms BIGINT) RETURNS SETOF TEXT LANGUAGE plpgsql AS $fn$
DECLARE
  r RECORD;
BEGIN
  FOR r IN
    SELECT c.oid::regclass AS rel, c.relname,
      substring(pg_get_expr(c.relpartbound, c.oid) FROM 'TO \\(''?(-?[0-9]+)''?\\)')::bigint AS hi
    FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
    WHERE i.inhparent = 'events'::regclass
    ORDER BY c.relname
  LOOP
    IF r.hi IS NOT NULL AND r.hi <= before_ms THEN
      EXECUTE format('DROP TABLE %s', r.rel);
      RETURN NEXT r.relname::text;
    END IF;
  END LOOP;
  DELETE FROM events_default WHERE received_at < before_ms;
END
$fn$;
`;

export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE workspaces (
  id TEXT PRIMARY KEY, name TEXT NOT NULL, currency TEXT NOT NULL, timezone TEXT NOT NULL,
  default_country TEXT, allowed_origins JSONB NOT NULL DEFAULT '[]', consent_default TEXT NOT NULL DEFAULT 'denied',
  public_key TEXT NOT NULL UNIQUE, secret_key_hash TEXT NOT NULL UNIQUE, created_at BIGINT NOT NULL);
CREATE TABLE conversion_actions (
  workspace_id TEXT NOT NULL, name TEXT NOT NULL, required JSONB NOT NULL,
  click_window_days DOUBLE PRECISION NOT NULL, view_window_days DOUBLE PRECISION NOT NULL, created_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, name));
CREATE TABLE events (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, event_name TEXT NOT NULL, is_conversion BOOLEAN NOT NULL,
  test_event_code TEXT, event_time BIGINT NOT NULL, received_at BIGINT NOT NULL, event_id TEXT, order_id TEXT,
  value DOUBLE PRECISION, currency TEXT, attributed BOOLEAN NOT NULL DEFAULT false, payload TEXT NOT NULL, ip_enc TEXT);
CREATE INDEX events_conversions ON events (workspace_id, event_time, id) WHERE is_conversion AND test_event_code IS NULL;
CREATE INDEX events_ip ON events (received_at) WHERE ip_enc IS NOT NULL;
CREATE TABLE credits (
  event_ref TEXT NOT NULL, workspace_id TEXT NOT NULL, model TEXT NOT NULL, event_time BIGINT NOT NULL,
  ord INTEGER NOT NULL, platform TEXT NOT NULL, campaign TEXT, ad TEXT, touch_time BIGINT NOT NULL,
  credit DOUBLE PRECISION NOT NULL, value DOUBLE PRECISION, currency TEXT,
  PRIMARY KEY (event_ref, model, ord));
CREATE INDEX credits_report ON credits (workspace_id, model, event_time);
CREATE TABLE dedup_keys (
  workspace_id TEXT NOT NULL, key TEXT NOT NULL, event_ref TEXT NOT NULL, received_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, key));
CREATE INDEX dedup_keys_age ON dedup_keys (received_at);
CREATE TABLE persons (workspace_id TEXT NOT NULL, id TEXT NOT NULL, PRIMARY KEY (workspace_id, id));
CREATE TABLE identities (
  workspace_id TEXT NOT NULL, ident TEXT NOT NULL, person TEXT NOT NULL,
  PRIMARY KEY (workspace_id, ident));
CREATE INDEX identities_person ON identities (workspace_id, person);
CREATE TABLE touches (
  id TEXT PRIMARY KEY, seq BIGINT GENERATED ALWAYS AS IDENTITY, workspace_id TEXT NOT NULL, kind TEXT NOT NULL,
  time BIGINT NOT NULL, platform TEXT NOT NULL, campaign TEXT, ad TEXT, touch_id TEXT, click_id TEXT,
  person TEXT, received_at BIGINT NOT NULL);
CREATE INDEX touches_person ON touches (workspace_id, person, time);
CREATE UNIQUE INDEX touches_touch_id ON touches (workspace_id, touch_id) WHERE touch_id IS NOT NULL;
CREATE UNIQUE INDEX touches_click_id ON touches (workspace_id, click_id) WHERE click_id IS NOT NULL;
CREATE TABLE links (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, destination_url TEXT NOT NULL, platform TEXT NOT NULL,
  campaign TEXT NOT NULL, ad TEXT, created_at BIGINT NOT NULL);
CREATE TABLE rollups_minute (
  workspace_id TEXT NOT NULL, start BIGINT NOT NULL,
  received BIGINT NOT NULL DEFAULT 0, accepted BIGINT NOT NULL DEFAULT 0, conversions BIGINT NOT NULL DEFAULT 0,
  value DOUBLE PRECISION NOT NULL DEFAULT 0, duplicates BIGINT NOT NULL DEFAULT 0, rejected BIGINT NOT NULL DEFAULT 0,
  clicks BIGINT NOT NULL DEFAULT 0, impressions BIGINT NOT NULL DEFAULT 0, latency INTEGER[], pipeline INTEGER[],
  PRIMARY KEY (workspace_id, start)) WITH (fillfactor = 70);
CREATE TABLE rollups_hour (LIKE rollups_minute INCLUDING ALL) WITH (fillfactor = 70);
CREATE TABLE destinations (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, events JSONB,
  config_enc TEXT NOT NULL, created_at BIGINT NOT NULL, deleted BOOLEAN NOT NULL DEFAULT false);
CREATE TABLE deliveries (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, destination_id TEXT NOT NULL, event_ref TEXT NOT NULL,
  status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL,
  lease_owner TEXT, lease_until BIGINT NOT NULL DEFAULT 0, last_status_code INTEGER, last_error TEXT,
  delivered_at BIGINT, created_at BIGINT NOT NULL, dedup_id TEXT) WITH (fillfactor = 80);
CREATE INDEX deliveries_due ON deliveries (destination_id, next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_list ON deliveries (workspace_id, destination_id, status, created_at);
CREATE TABLE sessions (id_hash TEXT PRIMARY KEY, csrf_token TEXT NOT NULL, expires_at BIGINT NOT NULL);
CREATE TABLE live_spill (id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, payload TEXT NOT NULL, created_at BIGINT NOT NULL);
-- Element-wise sum of two latency histograms (monitoring/histogram.ts), so rollups merge in one upsert.
CREATE FUNCTION tally_hist_add(a INTEGER[], b INTEGER[]) RETURNS INTEGER[] LANGUAGE sql IMMUTABLE AS $fn$
  SELECT CASE WHEN a IS NULL THEN b WHEN b IS NULL THEN a ELSE ARRAY(
    SELECT COALESCE(a[i], 0) + COALESCE(b[i], 0) FROM generate_series(1, GREATEST(cardinality(a), cardinality(b))) AS i ORDER BY i)
  END
$fn$;
`,
  },
  {
    // Keys rotated out and still within their grace period (POST /v1/workspace/keys/rotate):
    // `value` is the old public key, or the old secret key's hash.
    version: 2,
    sql: `
CREATE TABLE retired_keys (
  kind TEXT NOT NULL, value TEXT NOT NULL, workspace_id TEXT NOT NULL, expires_at BIGINT NOT NULL,
  PRIMARY KEY (kind, value));
CREATE INDEX retired_keys_workspace ON retired_keys (workspace_id, kind);
`,
  },
  {
    // A value sealed with the encryption key by the first node: a node started with another
    // key cannot open it and refuses to run (security/key-check.ts).
    version: 3,
    sql: `
CREATE TABLE key_check (id INTEGER PRIMARY KEY CHECK (id = 1), sealed TEXT NOT NULL, created_at BIGINT NOT NULL);
`,
  },
  {
    // As storage/sqlite/schema.ts version 4: event sources and superseding, later copies of an
    // event, and destinations' routes read by the commit (under the per-workspace advisory
    // lock that creation and deletion take exclusively).
    version: 4,
    sql: `
ALTER TABLE events ADD COLUMN source TEXT;
ALTER TABLE events ADD COLUMN superseded_at BIGINT;
CREATE TABLE event_arrivals (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id TEXT NOT NULL, event_ref TEXT NOT NULL,
  source TEXT NOT NULL, received_at BIGINT NOT NULL, event_id TEXT, status TEXT NOT NULL);
CREATE INDEX event_arrivals_event ON event_arrivals (workspace_id, event_ref);
ALTER TABLE destinations ADD COLUMN route_events JSONB;
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
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, erased_at BIGINT NOT NULL, identifiers INTEGER NOT NULL);
CREATE INDEX erasures_list ON erasures (workspace_id, erased_at);
`,
  },
  {
    // As storage/sqlite/schema.ts version 6: spend rows, spend sources, and a covering index
    // for the performance report's scan of credits (index-only scans).
    version: 6,
    sql: `
CREATE TABLE spend (
  workspace_id TEXT NOT NULL, date TEXT NOT NULL, platform TEXT NOT NULL, account TEXT NOT NULL,
  campaign_key TEXT NOT NULL, ad_key TEXT NOT NULL, campaign TEXT NOT NULL, campaign_id TEXT, ad TEXT, ad_id TEXT,
  spend DOUBLE PRECISION NOT NULL, currency TEXT NOT NULL, impressions BIGINT, clicks BIGINT, source_id TEXT,
  updated_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, date, platform, account, campaign_key, ad_key));
CREATE TABLE spend_sources (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, type TEXT NOT NULL, name TEXT NOT NULL, config_enc TEXT NOT NULL,
  interval_minutes INTEGER NOT NULL, created_at BIGINT NOT NULL, deleted BOOLEAN NOT NULL DEFAULT false,
  last_sync_at BIGINT, last_error TEXT, last_rows INTEGER, next_sync_at BIGINT NOT NULL);
CREATE INDEX spend_sources_workspace ON spend_sources (workspace_id);
CREATE INDEX spend_sources_due ON spend_sources (next_sync_at) WHERE NOT deleted;
CREATE INDEX credits_performance ON credits (workspace_id, model, event_time) INCLUDE (platform, campaign, ad, credit, value, currency);
`,
  },
  {
    // As storage/sqlite/schema.ts version 7: rules, the cooldown fence of each (rule, key),
    // signals, budgets at the start of a day, and outbox rows of other kinds than events.
    version: 7,
    sql: `
CREATE TABLE rules (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, spec JSONB NOT NULL, created_at BIGINT NOT NULL,
  updated_at BIGINT NOT NULL, deleted BOOLEAN NOT NULL DEFAULT false);
CREATE INDEX rules_workspace ON rules (workspace_id);
CREATE TABLE rule_fires (
  rule_id TEXT NOT NULL, key TEXT NOT NULL, workspace_id TEXT NOT NULL, fired_at BIGINT NOT NULL,
  PRIMARY KEY (rule_id, key));
CREATE INDEX rule_fires_workspace ON rule_fires (workspace_id);
CREATE TABLE signals (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, rule_id TEXT NOT NULL, at BIGINT NOT NULL, data JSONB NOT NULL,
  applied JSONB, apply_pending BOOLEAN NOT NULL DEFAULT false, apply_attempts INTEGER NOT NULL DEFAULT 0,
  apply_next_at BIGINT NOT NULL DEFAULT 0, apply_lease_until BIGINT NOT NULL DEFAULT 0);
CREATE INDEX signals_list ON signals (workspace_id, at);
CREATE INDEX signals_apply ON signals (apply_next_at) WHERE apply_pending;
CREATE TABLE budget_days (
  workspace_id TEXT NOT NULL, platform TEXT NOT NULL, key TEXT NOT NULL, day TEXT NOT NULL,
  base DOUBLE PRECISION NOT NULL, PRIMARY KEY (workspace_id, platform, key, day));
ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'event';
ALTER TABLE deliveries ADD COLUMN payload TEXT;
`,
  },
  {
    // As storage/sqlite/schema.ts version 8: quality decisions on events and flagged clicks,
    // the flagged bit on credits, the workspace's thresholds, flagged counts in the rollups,
    // and the counters (each row locked by the transaction that counts on it, so nodes
    // sharing the database count one flood together).
    version: 8,
    sql: `
ALTER TABLE events ADD COLUMN quality_score SMALLINT;
ALTER TABLE events ADD COLUMN quality_flags SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE touches ADD COLUMN quality_score SMALLINT;
ALTER TABLE touches ADD COLUMN quality_flags SMALLINT NOT NULL DEFAULT 0;
ALTER TABLE credits ADD COLUMN flagged BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE workspaces ADD COLUMN quality_min_click_to_conversion_seconds DOUBLE PRECISION;
ALTER TABLE workspaces ADD COLUMN quality_max_clicks_per_ip_per_minute INTEGER;
ALTER TABLE workspaces ADD COLUMN quality_max_conversions_per_identity_per_hour INTEGER;
ALTER TABLE workspaces ADD COLUMN flagged_conversions TEXT;
ALTER TABLE rollups_minute ADD COLUMN flagged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollups_minute ADD COLUMN flagged_value DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE rollups_minute ADD COLUMN flagged_clicks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollups_hour ADD COLUMN flagged BIGINT NOT NULL DEFAULT 0;
ALTER TABLE rollups_hour ADD COLUMN flagged_value DOUBLE PRECISION NOT NULL DEFAULT 0;
ALTER TABLE rollups_hour ADD COLUMN flagged_clicks BIGINT NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN quality_key TEXT;
ALTER TABLE touches ADD COLUMN quality_key TEXT;
CREATE TABLE quality_counters (
  workspace_id TEXT NOT NULL, space TEXT NOT NULL, key TEXT NOT NULL, times DOUBLE PRECISION[] NOT NULL,
  last_at BIGINT NOT NULL, PRIMARY KEY (workspace_id, space, key));
CREATE INDEX quality_counters_age ON quality_counters (last_at);
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
  first_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, experiment, person));
CREATE INDEX experiment_exposures_person ON experiment_exposures (workspace_id, person);
CREATE INDEX experiment_exposures_variant ON experiment_exposures (workspace_id, experiment, variant, first_at);
CREATE TABLE experiment_variants (
  workspace_id TEXT NOT NULL, experiment TEXT NOT NULL, variant TEXT NOT NULL,
  first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, experiment, variant));
ALTER TABLE events ADD COLUMN person TEXT;
CREATE INDEX events_person ON events (workspace_id, person) WHERE is_conversion AND person IS NOT NULL;
CREATE INDEX events_experiment ON events (workspace_id, event_name, event_time, person, value, currency)
  WHERE is_conversion AND test_event_code IS NULL AND person IS NOT NULL;
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
  workspace_id TEXT NOT NULL, order_id TEXT NOT NULL, event_name TEXT NOT NULL, time BIGINT NOT NULL,
  value DOUBLE PRECISION NOT NULL, currency TEXT NOT NULL, status TEXT NOT NULL, updated_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, order_id));
CREATE INDEX crm_orders_time ON crm_orders (workspace_id, event_name, time, value, status);
CREATE TABLE adjustments (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, conversion_id TEXT NOT NULL, type TEXT NOT NULL,
  source TEXT NOT NULL, order_id TEXT, value DOUBLE PRECISION, currency TEXT, previous_value DOUBLE PRECISION, previous_currency TEXT,
  adjusted_at BIGINT NOT NULL, created_at BIGINT NOT NULL);
CREATE INDEX adjustments_conversion ON adjustments (workspace_id, conversion_id, created_at);
ALTER TABLE events ADD COLUMN retracted BOOLEAN NOT NULL DEFAULT false;
ALTER TABLE events ADD COLUMN adjusted_at BIGINT;
ALTER TABLE events ADD COLUMN tracked_value DOUBLE PRECISION;
ALTER TABLE credits ADD COLUMN retracted BOOLEAN NOT NULL DEFAULT false;
DROP INDEX credits_performance;
CREATE INDEX credits_performance ON credits (workspace_id, model, event_time) INCLUDE (platform, campaign, ad, credit, value, currency)
  WHERE NOT retracted;
DROP INDEX events_experiment;
CREATE INDEX events_experiment ON events (workspace_id, event_name, event_time, person, value, currency)
  WHERE is_conversion AND test_event_code IS NULL AND person IS NOT NULL AND NOT retracted;
CREATE INDEX events_reconcile ON events (workspace_id, event_name, event_time, order_id, value, adjusted_at, tracked_value, id)
  WHERE is_conversion AND test_event_code IS NULL;
CREATE INDEX events_order ON events (workspace_id, order_id, event_name)
  WHERE is_conversion AND test_event_code IS NULL AND order_id IS NOT NULL;
`,
  },
  {
    // Monitoring (issue 17): series counters in 10-second slots and per hour (monitoring/series.ts),
    // alerts (one firing row per workspace, kind and subject), rule settings, alert channels and
    // their outbox. Migrations 6–10 belong to other features; versions apply in order of number.
    version: 11,
    sql: `
CREATE TABLE series_10s (
  workspace_id TEXT NOT NULL, start BIGINT NOT NULL, key TEXT NOT NULL, count BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, start, key));
CREATE INDEX series_10s_start ON series_10s (start);
CREATE TABLE series_hour (
  workspace_id TEXT NOT NULL, start BIGINT NOT NULL, key TEXT NOT NULL, count BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, start, key));
CREATE INDEX series_hour_start ON series_hour (start);
CREATE TABLE alerts (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, kind TEXT NOT NULL, subject TEXT NOT NULL,
  status TEXT NOT NULL, severity TEXT NOT NULL, started_at BIGINT NOT NULL, resolved_at BIGINT,
  message TEXT NOT NULL, diagnosis TEXT, details TEXT NOT NULL);
CREATE UNIQUE INDEX alerts_firing ON alerts (workspace_id, kind, subject) WHERE status = 'firing';
CREATE INDEX alerts_list ON alerts (workspace_id, started_at);
CREATE TABLE alert_rules (
  workspace_id TEXT NOT NULL, kind TEXT NOT NULL, settings TEXT NOT NULL, updated_at BIGINT NOT NULL,
  PRIMARY KEY (workspace_id, kind));
CREATE TABLE alert_channels (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, type TEXT NOT NULL, config_enc TEXT NOT NULL,
  min_severity TEXT NOT NULL, created_at BIGINT NOT NULL, deleted_at BIGINT);
CREATE INDEX alert_channels_workspace ON alert_channels (workspace_id);
CREATE TABLE alert_outbox (
  id TEXT PRIMARY KEY, workspace_id TEXT NOT NULL, channel_id TEXT NOT NULL, alert_id TEXT NOT NULL,
  body TEXT NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_attempt_at BIGINT NOT NULL,
  lease_owner TEXT, lease_until BIGINT NOT NULL DEFAULT 0, last_error TEXT, created_at BIGINT NOT NULL,
  delivered_at BIGINT);
CREATE INDEX alert_outbox_due ON alert_outbox (status, next_attempt_at);
CREATE INDEX alert_outbox_channel ON alert_outbox (channel_id, created_at);
`,
  },
  {
    // As storage/sqlite/schema.ts version 12: the credit rollup, filled from the credits, and
    // the covering index it replaces dropped.
    version: 12,
    sql: `
CREATE TABLE credit_keys (
  id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY, workspace_id TEXT NOT NULL, platform TEXT NOT NULL,
  campaign TEXT NOT NULL, ad TEXT NOT NULL, currency TEXT NOT NULL, nulls INTEGER NOT NULL,
  UNIQUE (workspace_id, platform, campaign, ad, currency, nulls));
CREATE TABLE credit_rollup (
  workspace_id TEXT NOT NULL, model TEXT NOT NULL, span BIGINT NOT NULL, start BIGINT NOT NULL, key_id BIGINT NOT NULL,
  flagged INTEGER NOT NULL, n BIGINT NOT NULL, credit DOUBLE PRECISION NOT NULL, value DOUBLE PRECISION NOT NULL,
  PRIMARY KEY (workspace_id, model, span, start, key_id, flagged)) WITH (fillfactor = 70);
${CREDIT_ROLLUP_BACKFILL}
DROP INDEX credits_performance;
`,
  },
  {
    // Citus-ready keys (issue 18, docs/scaling.md): every primary key carries workspace_id, the
    // distribution column. It goes last, so every lookup by id alone keeps using the index.
    version: 17,
    sql: `
DO $$
DECLARE
  t TEXT; cols TEXT; pk TEXT;
BEGIN
  FOR t, cols IN SELECT * FROM (VALUES
    ('credits', 'event_ref, model, ord, workspace_id'), ('touches', 'id, workspace_id'), ('links', 'id, workspace_id'),
    ('destinations', 'id, workspace_id'), ('deliveries', 'id, workspace_id'), ('event_arrivals', 'id, workspace_id'),
    ('erasures', 'id, workspace_id'), ('rules', 'id, workspace_id'), ('rule_fires', 'rule_id, key, workspace_id'),
    ('signals', 'id, workspace_id'), ('spend_sources', 'id, workspace_id'), ('adjustments', 'id, workspace_id'),
    ('alerts', 'id, workspace_id'), ('alert_channels', 'id, workspace_id'), ('alert_outbox', 'id, workspace_id'),
    ('credit_keys', 'id, workspace_id')) AS v(t, cols)
  LOOP
    SELECT conname INTO pk FROM pg_constraint WHERE conrelid = to_regclass(t) AND contype = 'p';
    EXECUTE format('ALTER TABLE %I DROP CONSTRAINT %I, ADD PRIMARY KEY (%s)', t, pk, cols);
  END LOOP;
END $$;
`,
  },
  {
    // Events partitioned by month of received_at (UTC), declaratively, with a default partition
    // for a month not made yet (the hourly maintenance moves its rows out): the table is moved
    // into the partitioned one in place, its secondary indexes rebuilt on the partitioned table
    // (whatever migrations made them). The primary key carries the partition key.
    version: 18,
    sql: `${EVENTS_PARTITION_FUNCTIONS}
DO $$
DECLARE
  r RECORD; defs TEXT[] := '{}'; d TEXT; pk TEXT; lo BIGINT; hi BIGINT;
BEGIN
  FOR r IN SELECT i.indexrelid, c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
    WHERE i.indrelid = 'events'::regclass AND NOT i.indisprimary ORDER BY c.relname
  LOOP
    defs := defs || regexp_replace(pg_get_indexdef(r.indexrelid), ' ON (ONLY )?(\\S+\\.)?events USING ', ' ON events USING ');
    EXECUTE format('DROP INDEX %I', r.relname);
  END LOOP;
  SELECT conname INTO pk FROM pg_constraint WHERE conrelid = 'events'::regclass AND contype = 'p';
  EXECUTE format('ALTER TABLE events DROP CONSTRAINT %I', pk);
  ALTER TABLE events RENAME TO events_unpartitioned;
  CREATE TABLE events (LIKE events_unpartitioned INCLUDING DEFAULTS INCLUDING CONSTRAINTS)
    PARTITION BY RANGE (received_at);
  ALTER TABLE events ADD PRIMARY KEY (id, workspace_id, received_at);
  CREATE TABLE events_default PARTITION OF events DEFAULT;
  SELECT min(received_at), max(received_at) INTO lo, hi FROM events_unpartitioned;
  -- Partitions from the oldest month kept (ten years at most: older rows stay in the default
  -- partition) to two months ahead.
  lo := GREATEST(LEAST(lo, (extract(epoch FROM now()) * 1000)::bigint),
    (extract(epoch FROM now() - interval '120 months') * 1000)::bigint);
  hi := GREATEST(hi, (extract(epoch FROM now()) * 1000)::bigint);
  WHILE lo < hi + 1 LOOP
    PERFORM tally_event_partition(lo);
    lo := (extract(epoch FROM (date_trunc('month', to_timestamp(lo / 1000.0) AT TIME ZONE 'UTC') + interval '1 month')
      AT TIME ZONE 'UTC') * 1000)::bigint;
  END LOOP;
  PERFORM tally_event_partitions_ahead((extract(epoch FROM now()) * 1000)::bigint, 2);
  INSERT INTO events SELECT * FROM events_unpartitioned;
  DROP TABLE events_unpartitioned;
  FOREACH d IN ARRAY defs LOOP EXECUTE d; END LOOP;
END $$;
`,
  },
];
