-- Layer 2, the data model: merit pay and talent (issue 16, items 2 and 6) --
-- salary bands per fiscal year and level, a merit matrix per appraisal cycle
-- (grade x compa-ratio bracket -> raise %), budgets per team subtree, the
-- approved overrides of the band maximum, the merit raises applied, and the
-- potential rating behind the 9-box.  Conventions: see 20_model_org_customers.sql.
-- Rules a CHECK cannot state (every grade of the cycle has a bracket from 0,
-- a budget's scope holds graded people with pay and a band) are checked by
-- merit_preview and merit_apply (45_merit.sql), when they are used: HR enters
-- a matrix one row at a time.

CREATE TABLE salary_band (
  fiscal_year  integer NOT NULL CHECK (fiscal_year BETWEEN 1900 AND 9999),
  level        member_level NOT NULL,
  band_min     numeric(14,2) NOT NULL,
  band_mid     numeric(14,2) NOT NULL,
  band_max     numeric(14,2) NOT NULL,
  PRIMARY KEY (fiscal_year, level),
  CONSTRAINT salary_band_positive CHECK (band_min > 0),
  CONSTRAINT salary_band_ordered CHECK (band_min <= band_mid AND band_mid <= band_max)
);
COMMENT ON TABLE salary_band IS
'Salary band per fiscal year and career level: 0 < min <= mid <= max (23514 otherwise). A member''s compa-ratio is base salary / mid of the band of the level appraised, in the cycle''s fiscal year; a merit raise never takes the base above max unless HR overrides it with a reason (merit_override).';
COMMENT ON COLUMN salary_band.fiscal_year IS 'Fiscal year of the base salaries the band applies to (pay.fiscal_year).';
COMMENT ON COLUMN salary_band.level IS 'Career level.';
COMMENT ON COLUMN salary_band.band_min IS 'Band minimum, > 0.';
COMMENT ON COLUMN salary_band.band_mid IS 'Band midpoint (the market rate): compa-ratio 1.';
COMMENT ON COLUMN salary_band.band_max IS 'Band maximum: a merit raise stops here unless overridden.';

CREATE TABLE merit_matrix (
  cycle_id    integer NOT NULL,
  grade       text NOT NULL,
  compa_from  numeric(6,3) NOT NULL CHECK (compa_from >= 0),
  raise_pct   numeric(6,3) NOT NULL CHECK (raise_pct >= 0 AND raise_pct <= 100),
  PRIMARY KEY (cycle_id, grade, compa_from),
  CONSTRAINT merit_matrix_grade_fk FOREIGN KEY (cycle_id, grade)
    REFERENCES grade_policy (cycle_id, grade) ON DELETE CASCADE
);
COMMENT ON TABLE merit_matrix IS
'Merit matrix of an appraisal cycle: grade x compa-ratio bracket -> raise in percent of the base salary. A row opens a bracket at compa_from; it runs up to the next compa_from of the same grade (excluded), the last one to infinity, so the brackets of a grade never overlap or leave a gap, and they cover [0, infinity) once the grade has a row at 0 -- which merit_preview requires of every grade of the cycle''s grade_policy (55000 otherwise).';
COMMENT ON COLUMN merit_matrix.cycle_id IS 'Appraisal cycle (the matrix goes with its grades).';
COMMENT ON COLUMN merit_matrix.grade IS 'Grade of the cycle''s grade_policy.';
COMMENT ON COLUMN merit_matrix.compa_from IS 'Lowest compa-ratio of the bracket (included), >= 0; the bracket ends at the grade''s next compa_from.';
COMMENT ON COLUMN merit_matrix.raise_pct IS 'Merit raise in percent of the base salary, 0..100.';

CREATE TABLE merit_budget (
  cycle_id     integer NOT NULL REFERENCES appraisal_cycle ON DELETE CASCADE,
  team_id      integer NOT NULL REFERENCES team ON DELETE RESTRICT,
  amount       numeric(14,2) CHECK (amount >= 0),
  pct_of_base  numeric(6,3) CHECK (pct_of_base >= 0 AND pct_of_base <= 100),
  PRIMARY KEY (cycle_id, team_id),
  CONSTRAINT merit_budget_one_kind CHECK ((amount IS NULL) <> (pct_of_base IS NULL))
);
COMMENT ON TABLE merit_budget IS
'Merit budget of an appraisal cycle for the subtree of a team (a department is a root team): either an amount or a percentage of the base salaries of the graded members in the subtree (floored to the cent), exactly one of them (23514 otherwise).';
COMMENT ON COLUMN merit_budget.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN merit_budget.team_id IS 'Root of the subtree the budget covers (members by their team today).';
COMMENT ON COLUMN merit_budget.amount IS 'Budget amount, >= 0; NULL when given as pct_of_base.';
COMMENT ON COLUMN merit_budget.pct_of_base IS 'Budget in percent of the summed base salaries of the scope''s graded members, 0..100; NULL when given as amount.';

CREATE TABLE merit_override (
  cycle_id     integer NOT NULL REFERENCES appraisal_cycle ON DELETE RESTRICT,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  raise        numeric(14,2) NOT NULL CHECK (raise >= 0),
  reason       text NOT NULL CHECK (btrim(reason) <> ''),
  approved_by  name NOT NULL DEFAULT current_user,
  approved_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, member_id)
);
COMMENT ON TABLE merit_override IS
'A merit raise set by an approver instead of the matrix, with a mandatory reason: it may take the base above the band maximum, is not scaled to the budget (it is taken from it first), and every change is audited. Written through set_merit_override.';
COMMENT ON COLUMN merit_override.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN merit_override.member_id IS 'Member whose raise is set.';
COMMENT ON COLUMN merit_override.raise IS 'Raise amount, >= 0.';
COMMENT ON COLUMN merit_override.reason IS 'Why the matrix (and the band maximum) is overridden; not blank.';
COMMENT ON COLUMN merit_override.approved_by IS 'Login that approved the override.';
COMMENT ON COLUMN merit_override.approved_at IS 'When it was approved.';

CREATE TABLE merit_raise (
  cycle_id     integer NOT NULL REFERENCES appraisal_cycle ON DELETE RESTRICT,
  member_id    integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  team_id      integer NOT NULL REFERENCES team ON DELETE RESTRICT,
  grade        text NOT NULL,
  base_salary  numeric(14,2) NOT NULL CHECK (base_salary >= 0),
  compa_ratio  numeric(8,4) NOT NULL,
  raise_pct    numeric(6,3) NOT NULL,
  proposed     numeric(14,2) NOT NULL CHECK (proposed >= 0),
  capped       boolean NOT NULL,
  overridden   boolean NOT NULL,
  raise        numeric(14,2) NOT NULL CHECK (raise >= 0),
  applied_by   name NOT NULL DEFAULT current_user,
  applied_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, member_id)
);
CREATE INDEX merit_raise_member_idx ON merit_raise (member_id);
COMMENT ON TABLE merit_raise IS
'Merit raises applied by merit_apply: one per cycle and member, as the preview showed them; the new base (base_salary + raise) is the base salary of the member''s pay row of the next fiscal year. Personal data: the member and HR only. Every change is audited.';
COMMENT ON COLUMN merit_raise.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN merit_raise.member_id IS 'Member raised.';
COMMENT ON COLUMN merit_raise.team_id IS 'Budget (root team) the raise was taken from.';
COMMENT ON COLUMN merit_raise.grade IS 'Grade of the cycle.';
COMMENT ON COLUMN merit_raise.base_salary IS 'Base salary of the cycle''s fiscal year.';
COMMENT ON COLUMN merit_raise.compa_ratio IS 'base_salary / band mid, rounded to 4 places.';
COMMENT ON COLUMN merit_raise.raise_pct IS 'Raise percent of the matrix cell.';
COMMENT ON COLUMN merit_raise.proposed IS 'round(base x raise_pct / 100, 2), before the band cap and the budget.';
COMMENT ON COLUMN merit_raise.capped IS 'True when the band maximum cut the proposal.';
COMMENT ON COLUMN merit_raise.overridden IS 'True when the raise is a merit_override.';
COMMENT ON COLUMN merit_raise.raise IS 'Raise applied, after the cap and the budget.';
COMMENT ON COLUMN merit_raise.applied_by IS 'Login that applied it.';
COMMENT ON COLUMN merit_raise.applied_at IS 'When it was applied.';

CREATE TABLE potential_rating (
  cycle_id   integer NOT NULL REFERENCES appraisal_cycle ON DELETE RESTRICT,
  member_id  integer NOT NULL REFERENCES member ON DELETE RESTRICT,
  potential  smallint NOT NULL CHECK (potential BETWEEN 1 AND 3),
  note       text,
  rated_by   name NOT NULL DEFAULT current_user,
  rated_at   timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (cycle_id, member_id)
);
CREATE INDEX potential_rating_member_idx ON potential_rating (member_id);
COMMENT ON TABLE potential_rating IS
'Potential of a member in an appraisal cycle, for succession (the 9-box, nine_box): 1 low, 2 medium, 3 high. Written by the supervisors and managers of the member (their subtree, never themselves) and by HR; the member never sees it. Every change is audited.';
COMMENT ON COLUMN potential_rating.cycle_id IS 'Appraisal cycle.';
COMMENT ON COLUMN potential_rating.member_id IS 'Member rated.';
COMMENT ON COLUMN potential_rating.potential IS '1 low, 2 medium, 3 high.';
COMMENT ON COLUMN potential_rating.note IS 'Why (free text).';
COMMENT ON COLUMN potential_rating.rated_by IS 'Login that rated (checked by row-level security to be the writer).';
COMMENT ON COLUMN potential_rating.rated_at IS 'When it was rated.';
