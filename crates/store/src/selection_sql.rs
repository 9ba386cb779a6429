//! The SQL of a selection and of reading what it decided: the decision
//! statement, and the fragments that turn a `scored` row of a selected wave
//! into the applicant's state, reason and rank.
//!
//! The wave's ranking is the index `registrations_ranking_idx`, on
//! `(wave_id, -score, submitted_at, id COLLATE "C")` for `scored` rows:
//! highest score, earliest submission, smallest id (byte order of the hex
//! ids), exactly `lonjak_domain::eligibility::rank_order`. [`KEY`] is that
//! order as a row, compared with another applicant's [`KEY`] in one index
//! range.

/// The ranking key of registration `r`, as the index holds it: a row, to
/// compare with another's.
pub(crate) const KEY: &str = r#"(-r.score, r.submitted_at, r.id COLLATE "C")"#;

/// The same as an `ORDER BY` list, which the index gives without a sort (a
/// parenthesised row there would be sorted as one value).
pub(crate) const ORDER: &str = r#"-r.score, r.submitted_at, r.id COLLATE "C""#;

/// The state of registration `r` (joined to its wave `w`): a `scored`
/// applicant of a selected wave has the decision selection wrote for them,
/// or is waitlisted (selection writes no row for the waitlisted past its
/// decided prefix, and refuses to start while any applicant is still on the
/// way to `scored`).
pub(crate) const EFFECTIVE_STATUS: &str = "CASE WHEN r.status = 'scored' \
    AND w.state IN ('selected', 'announced') \
    THEN coalesce((SELECT d.decision FROM selection_decisions d \
                    WHERE d.registration_id = r.id AND d.wave_id = r.wave_id), 'waitlisted') \
    ELSE r.status END";

/// The rejection reason of registration `r` (joined to `w`), selection's
/// included.
pub(crate) const EFFECTIVE_REASON: &str = "coalesce(r.reason, CASE WHEN r.status = 'scored' \
    AND w.state IN ('selected', 'announced') \
    THEN (SELECT d.reason FROM selection_decisions d \
           WHERE d.registration_id = r.id AND d.wave_id = r.wave_id) END)";

/// The rank of a waitlisted applicant `r` (joined to `w`) past the decided
/// prefix: the prefix, plus one, plus the applicants of the wave ranked
/// between the prefix's last (`e`, `NULL` for an empty prefix) and `r`. One
/// index-only count, up to the size of the wave (an operator's question, or
/// a status look-up; the notifier reads ranks page by page instead).
pub(crate) const DERIVED_RANK: &str = r#"CASE WHEN r.status = 'scored'
    AND w.state IN ('selected', 'announced') AND w.decided_prefix IS NOT NULL
    THEN w.decided_prefix + 1 + (
        SELECT count(*) FROM registrations q
         WHERE q.wave_id = r.wave_id AND q.status = 'scored'
           AND (-q.score, q.submitted_at, q.id COLLATE "C")
               > (coalesce(-e.score, -2147483647), coalesce(e.submitted_at, '-infinity'),
                  coalesce(e.id, '') COLLATE "C")
           AND (-q.score, q.submitted_at, q.id COLLATE "C")
               < (-r.score, r.submitted_at, r.id COLLATE "C"))::int4
    END"#;

/// Joins `e`, the last applicant of `w`'s decided prefix (for
/// [`DERIVED_RANK`]).
pub(crate) const EDGE_JOIN: &str = "\
LEFT JOIN selection_decisions ed ON ed.wave_id = w.id AND ed.rank = w.decided_prefix
LEFT JOIN registrations e ON e.id = ed.registration_id";

/// Decides the top of wave `$1`'s ranking: its first `$6` applicants, read
/// from the ranking index in order (`top`, `place` 1..), are enough when
/// they hold `$2` (the quota) applicants who can take a seat; the caller
/// grows `$6` otherwise (`prefix` comes back `NULL`). Deciding a prefix is
/// exact: whether an applicant is selected depends only on those ranked
/// before them (their family's earlier members, the seats left).
///
/// Who can take a seat: verified email when the wave requires it (`$4`),
/// both photos accepted when it requires them (`$5`), and not past the KK
/// cap (`$3`): a family's reachable members are counted in rank order after
/// those selected in other waves (`prior`; waves selected before decision
/// prefixes kept their selected as `selected` rows, later ones as decisions).
/// The `quota`-th who can is the `cutoff`: the decided prefix is ranks
/// 1..cutoff, and every applicant in it gets a decision row (selected;
/// rejected when their family is full; waitlisted). A family is full when
/// its selected, here and elsewhere, reach the cap; its members ranked
/// after the prefix (`tail`, an index look-up per family) are rejected too,
/// with the rank they hold in the ranking (`after`: the applicants between
/// one and the previous, counted in one index range each). Everyone else
/// past the prefix is waitlisted, without a row.
pub(crate) const DECIDE: &str = r#"
WITH top AS MATERIALIZED (
    SELECT r.id, r.kk_hash, r.score, r.submitted_at,
           (NOT $4 OR r.email_verified_at IS NOT NULL)
           AND (NOT $5 OR (SELECT count(*) FROM photo_checks p
                            WHERE p.registration_id = r.id AND p.state = 'accepted') = 2)
           AS reachable,
           row_number() OVER (ORDER BY -r.score, r.submitted_at, r.id COLLATE "C") AS place
      FROM registrations r
     WHERE r.wave_id = $1 AND r.status = 'scored'
     ORDER BY -r.score, r.submitted_at, r.id COLLATE "C"
     LIMIT $6
), prior AS MATERIALIZED (
    SELECT x.kk_hash, count(*) AS n FROM (
        SELECT s.kk_hash FROM registrations s
         WHERE s.status = 'selected' AND s.wave_id <> $1
        UNION ALL
        SELECT s.kk_hash FROM selection_decisions d
          JOIN registrations s ON s.id = d.registration_id AND s.wave_id = d.wave_id
         WHERE d.decision = 'selected' AND d.wave_id <> $1 AND s.status = 'scored'
    ) x GROUP BY x.kk_hash
), fam AS MATERIALIZED (
    SELECT t.place, t.id, t.kk_hash, t.reachable, coalesce(p.n, 0) AS prior,
           row_number() OVER (PARTITION BY t.kk_hash, t.reachable ORDER BY t.place) AS in_kk
      FROM top t LEFT JOIN prior p ON p.kk_hash = t.kk_hash
), cutoff AS MATERIALIZED (
    SELECT CASE WHEN $2 = 0 THEN 0 ELSE coalesce(
               (SELECT f.place FROM fam f
                 WHERE f.reachable AND f.in_kk + f.prior <= $3
                 ORDER BY f.place OFFSET greatest($2 - 1, 0) LIMIT 1),
               (SELECT count(*) FROM top HAVING count(*) < $6)) END AS place
), full_kk AS MATERIALIZED (
    SELECT p.kk_hash FROM prior p WHERE p.n >= $3
    UNION
    SELECT f.kk_hash FROM fam f, cutoff c
     WHERE f.reachable AND f.in_kk + f.prior <= $3 AND f.place <= c.place
     GROUP BY f.kk_hash HAVING max(f.prior) + count(*) >= $3
), edge AS MATERIALIZED (
    SELECT coalesce(-t.score, -2147483647) AS s, coalesce(t.submitted_at, '-infinity') AS t,
           coalesce(t.id, '') COLLATE "C" AS i
      FROM cutoff c LEFT JOIN top t ON t.place = c.place
), tail AS MATERIALIZED (
    SELECT r.id, -r.score AS s, r.submitted_at AS t, r.id COLLATE "C" AS i,
           lag(-r.score) OVER o AS ps, lag(r.submitted_at) OVER o AS pt,
           lag(r.id COLLATE "C") OVER o AS pi
      FROM registrations r, edge e
     WHERE r.kk_hash IN (SELECT kk_hash FROM full_kk)
       AND r.wave_id = $1 AND r.status = 'scored'
       AND (-r.score, r.submitted_at, r.id COLLATE "C") > (e.s, e.t, e.i)
       AND (SELECT place FROM cutoff) IS NOT NULL
    WINDOW o AS (ORDER BY -r.score, r.submitted_at, r.id COLLATE "C")
), tail_ranked AS (
    SELECT tl.id, c.place + sum(a.n + 1) OVER (ORDER BY tl.s, tl.t, tl.i) AS place
      FROM tail tl CROSS JOIN cutoff c CROSS JOIN edge e,
           LATERAL (SELECT count(*) AS n FROM registrations q
                     WHERE q.wave_id = $1 AND q.status = 'scored'
                       AND (-q.score, q.submitted_at, q.id COLLATE "C")
                           > (coalesce(tl.ps, e.s), coalesce(tl.pt, e.t), coalesce(tl.pi, e.i))
                       AND (-q.score, q.submitted_at, q.id COLLATE "C") < (tl.s, tl.t, tl.i)) a
), decided AS (
    INSERT INTO selection_decisions (wave_id, rank, registration_id, decision, reason)
    SELECT $1, x.place::int, x.id, x.decision,
           CASE WHEN x.decision = 'rejected' THEN 'kk_cap_reached' END
      FROM (SELECT f.place, f.id,
                   CASE WHEN f.reachable AND f.in_kk + f.prior <= $3 THEN 'selected'
                        WHEN f.kk_hash IN (SELECT kk_hash FROM full_kk) THEN 'rejected'
                        ELSE 'waitlisted' END AS decision
              FROM fam f, cutoff c WHERE f.place <= c.place
            UNION ALL
            SELECT t.place, t.id, 'rejected' FROM tail_ranked t) x
     ORDER BY x.place
    RETURNING decision
)
SELECT c.place::int4 AS prefix, d.status, coalesce(d.n, 0)::int8 AS n
  FROM cutoff c
  LEFT JOIN (SELECT decision AS status, count(*) AS n FROM decided GROUP BY decision) d ON true"#;

/// Applicants of wave `$1` in the ranking: every one is decided by the
/// selection, as a row or as waitlisted (one index-only count).
pub(crate) const RANKED: &str = "\
SELECT count(*) AS n FROM registrations WHERE wave_id = $1 AND status = 'scored'";
