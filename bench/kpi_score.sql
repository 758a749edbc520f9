-- kpi_score: a score curve over per-line attainments, against the CASE a
-- user would write, with a 3-point curve and a 20-point band table.
-- setup:
SELECT setseed(0.5);
CREATE TABLE bench_kpi AS
SELECT (random() * 2.2)::float8 AS attainment, g % 12 AS k
FROM generate_series(1, {rows}) g;
-- 12 KPI definitions, each with its own curve (and, for the SQL a user
-- would write, its own parameters as columns)
CREATE TABLE bench_kpi_curves AS
SELECT k, (100 + k)::float8 AS y1, (150 + 2 * k)::float8 AS y2,
       format('linear[(0.5,0),(1,%s),(1.5,%s)]', 100 + k, 150 + 2 * k)::score_curve AS c
FROM generate_series(0, 11) k;
ANALYZE bench_kpi;
ANALYZE bench_kpi_curves;

-- case: kpi_score, 3-point linear curve
-- ours:
SELECT sum(kpi_score(attainment, 'linear[(0.5,0),(1,100),(1.5,150)]')) FROM bench_kpi;
-- sql:
SELECT sum(CASE WHEN attainment < 0.5 THEN 0
                WHEN attainment < 1 THEN (attainment - 0.5) * 200
                WHEN attainment < 1.5 THEN 100 + (attainment - 1) * 100
                ELSE 150 END)
FROM bench_kpi;
-- floor:
SELECT sum(attainment) FROM bench_kpi;

-- case: kpi_score, 20-point band table
-- ours:
SELECT sum(kpi_score(attainment, 'linear[(0.0,0),(0.1,0),(0.2,2),(0.3,5),(0.4,9),(0.5,14),(0.6,20),(0.7,27),(0.8,35),(0.9,44),(1.0,54),(1.1,65),(1.2,77),(1.3,90),(1.4,104),(1.5,119),(1.6,135),(1.7,152),(1.8,170),(1.9,189)]')) FROM bench_kpi;
-- sql:
SELECT sum(CASE WHEN attainment < 0.0 THEN 0
            WHEN attainment < 0.1 THEN 0 + (attainment - 0.0) * 0.0
            WHEN attainment < 0.2 THEN 0 + (attainment - 0.1) * 20.0
            WHEN attainment < 0.3 THEN 2 + (attainment - 0.2) * 30.0
            WHEN attainment < 0.4 THEN 5 + (attainment - 0.3) * 40.0
            WHEN attainment < 0.5 THEN 9 + (attainment - 0.4) * 50.0
            WHEN attainment < 0.6 THEN 14 + (attainment - 0.5) * 60.0
            WHEN attainment < 0.7 THEN 20 + (attainment - 0.6) * 70.0
            WHEN attainment < 0.8 THEN 27 + (attainment - 0.7) * 80.0
            WHEN attainment < 0.9 THEN 35 + (attainment - 0.8) * 90.0
            WHEN attainment < 1.0 THEN 44 + (attainment - 0.9) * 100.0
            WHEN attainment < 1.1 THEN 54 + (attainment - 1.0) * 110.0
            WHEN attainment < 1.2 THEN 65 + (attainment - 1.1) * 120.0
            WHEN attainment < 1.3 THEN 77 + (attainment - 1.2) * 130.0
            WHEN attainment < 1.4 THEN 90 + (attainment - 1.3) * 140.0
            WHEN attainment < 1.5 THEN 104 + (attainment - 1.4) * 150.0
            WHEN attainment < 1.6 THEN 119 + (attainment - 1.5) * 160.0
            WHEN attainment < 1.7 THEN 135 + (attainment - 1.6) * 170.0
            WHEN attainment < 1.8 THEN 152 + (attainment - 1.7) * 180.0
            WHEN attainment < 1.9 THEN 170 + (attainment - 1.8) * 190.0
            ELSE 189 END)
FROM bench_kpi;
-- floor:
SELECT sum(attainment) FROM bench_kpi;

-- case: kpi_score, 12 curves from a joined table, rows cycling through them
-- ours:
SELECT sum(kpi_score(b.attainment, c.c)) FROM bench_kpi b JOIN bench_kpi_curves c USING (k);
-- sql:
SELECT sum(CASE WHEN b.attainment < 0.5 THEN 0
                WHEN b.attainment < 1 THEN (b.attainment - 0.5) * 2 * c.y1
                WHEN b.attainment < 1.5 THEN c.y1 + (b.attainment - 1) * 2 * (c.y2 - c.y1)
                ELSE c.y2 END)
FROM bench_kpi b JOIN bench_kpi_curves c USING (k);
-- floor:
SELECT sum(b.attainment) FROM bench_kpi b JOIN bench_kpi_curves c USING (k);
