/// The contact search of a case on PostgreSQL (#6), measured with 50 million check-ins stored:
///
/// - Planning the search over 15 daily partitions and their indexes took 5–18 ms a query, running it
///   1–4 ms. Two PL/pgSQL functions keep their plans for the session, and `plan_cache_mode =
///   force_generic_plan` makes those the generic plans, whose partitions are pruned when they run.
/// - The visits touching a case's stays were read row by row from the heap: a venue's check-ins are
///   spread over as many pages as rows, about 500 random reads a case (20–45 ms from disk). The venue
///   index now carries every column of a check-in, so the search is an index-only scan of a few
///   adjacent pages (about 2 ms from disk).
///
/// SQLite runs the same searches as plain queries (`TracingStore`) and keeps its index.
let m0012TracingSearch = Migration(
    name: "0012_tracing_search",
    purpose: "PostgreSQL: functions with generic plans for a case's contact search, and a covering venue index",
    statements: [
        "@postgres DROP INDEX checkins_venue",
        """
        @postgres CREATE INDEX checkins_venue_stays ON checkins (venue_id, arrived_at)
            INCLUDE (stay_until, day, id, person_id, phone, name, method, left_at, checkout_hash)
        """,
        """
        @postgres CREATE FUNCTION tracing_own_checkins(
            p_phone TEXT, p_person TEXT, first_day INTEGER, last_day INTEGER,
            arrived_from BIGINT, arrived_to BIGINT, stay_from BIGINT
        ) RETURNS SETOF checkins LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
        BEGIN
            RETURN QUERY SELECT * FROM checkins
                WHERE day >= first_day AND day <= last_day
                    AND arrived_at >= arrived_from AND arrived_at <= arrived_to AND stay_until >= stay_from
                    AND (phone = p_phone OR person_id = p_person);
        END
        $$
        """,
        """
        @postgres CREATE FUNCTION tracing_touching_checkins(
            venues TEXT[], first_days INTEGER[], last_days INTEGER[],
            arrived_froms BIGINT[], arrived_tos BIGINT[], stay_froms BIGINT[]
        ) RETURNS SETOF checkins LANGUAGE plpgsql STABLE SET plan_cache_mode = force_generic_plan AS $$
        BEGIN
            RETURN QUERY SELECT c.* FROM unnest(venues, first_days, last_days, arrived_froms, arrived_tos, stay_froms)
                    AS w(venue, first_day, last_day, arrived_from, arrived_to, stay_from)
                CROSS JOIN LATERAL (
                    SELECT * FROM checkins
                    WHERE venue_id = w.venue AND day >= w.first_day AND day <= w.last_day
                        AND arrived_at >= w.arrived_from AND arrived_at <= w.arrived_to AND stay_until >= w.stay_from
                ) AS c;
        END
        $$
        """,
    ]
)
