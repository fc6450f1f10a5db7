"""Life events over the coverage years, and the clean records each department would hold.

Every event that makes a finding has a hard negative beside it: a move whose old enrollment was
ended, a death that reached the enrollment system, a subsidised assistance case. The output is
one clean "record frame" per source (final state, canonical values) plus each person's traits;
clerk errors and delivery mess are added later (`clerk_errors`, `delivery`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import polars as pl

from generator.config import WorldConfig
from generator.population import EPOCH, _days, counties_of
from matching.divisions import PROVINCES, current_counties
from schemas.derive import polars_schema
from schemas.sources import SOURCES

SUBSIDISABLE = ("dibao", "tekun", "orphan", "disabled")
ASSISTANCE_TYPES = ("dibao", "tekun", "orphan", "disabled", "low_income", "relapse_risk")
ASSISTANCE_WEIGHTS = (0.4, 0.1, 0.05, 0.15, 0.15, 0.15)


def _date_of(days: pl.Expr | pl.Series) -> pl.Expr | pl.Series:
    """Days since 1970-01-01 -> polars Date (a Date is exactly that count, as Int32)."""
    return days.cast(pl.Int32).cast(pl.Date)


def _date_array(days: np.ndarray) -> np.ndarray:
    return EPOCH + days.astype("timedelta64[D]")


def _uniform_days(rng: np.random.Generator, start: date, end: date, n: int) -> np.ndarray:
    return rng.integers(_days(start), _days(end) + 1, n)


@dataclass
class Rows:
    """Columns of one source's rows, appended segment by segment (each segment is vectorised)."""

    parts: list[dict[str, np.ndarray]] = field(default_factory=list)

    def add(self, n: int, **cols: object) -> None:
        if n:
            self.parts.append({k: _series(k, v, n) for k, v in cols.items()})

    def frame(self) -> pl.DataFrame:
        return pl.concat([pl.DataFrame(list(p.values())) for p in self.parts], how="diagonal_relaxed")


def _series(name: str, value: object, n: int) -> pl.Series:
    """A column from a scalar or an array (object arrays of str/None/dates become typed columns)."""
    if not isinstance(value, np.ndarray):
        return pl.Series(name, [value]).extend_constant(value, n - 1)
    if value.dtype == object:
        return pl.Series(name, value.tolist())
    return pl.Series(name, value)


class World:
    """The simulation: persons' circumstances per year, then each source's records."""

    def __init__(self, pop: pl.DataFrame, config: WorldConfig, rng: np.random.Generator) -> None:
        self.pop, self.config, self.rng = pop, config, rng
        self.years = sorted(config.coverage_years)
        self.n = pop.height
        self.provinces = list(config.provinces)
        self.counties = counties_of(self.provinces)
        self.province = pop["province"].to_numpy().astype(object)
        self.hukou = pop["hukou_region_code"].to_numpy().astype(object)
        self.birth = (pop["birth_date"].to_numpy() - EPOCH).astype(np.int64)
        self.traits: list[tuple[np.ndarray, str]] = []

    # ---- helpers --------------------------------------------------------------------------
    def age_on(self, d: date) -> np.ndarray:
        return (_days(d) - self.birth) // 365

    def trait(self, mask_or_idx: np.ndarray, name: str) -> None:
        idx = np.flatnonzero(mask_or_idx) if mask_or_idx.dtype == bool else mask_or_idx
        self.traits.append((idx, name))

    def other_province(self, idx: np.ndarray) -> np.ndarray:
        """A province other than each person's own, uniformly."""
        provs = np.asarray(self.provinces, dtype=object)
        pick = self.rng.integers(0, len(provs) - 1, len(idx))
        position = {p: i for i, p in enumerate(self.provinces)}
        own = np.asarray([position[p] for p in self.province[idx]], dtype=np.int64)
        return provs[np.where(pick >= own, pick + 1, pick)]

    def county_in(self, provinces: np.ndarray) -> np.ndarray:
        out = np.empty(len(provinces), dtype=object)
        for p in self.provinces:
            mask = provinces == p
            out[mask] = self.counties[p][self.rng.integers(0, len(self.counties[p]), int(mask.sum()))]
        return out

    def draw(self, share: float, mask: np.ndarray | None = None) -> np.ndarray:
        hit = self.rng.random(self.n) < share
        return hit if mask is None else hit & mask

    # ---- circumstances ----------------------------------------------------------------------
    def decide(self) -> None:
        life, rng, n = self.config.life, self.rng, self.n
        y0, y_last = self.years[0], self.years[-1]
        as_of = self.config.as_of
        age_now = self.age_on(as_of)

        # Deaths in the year before the first coverage year or during the coverage years but the last.
        p_die = np.where(age_now > 60, 1.0 + (age_now - 60) / 5.0, 0.05)
        n_dead = int(n * life.death)
        dead = rng.choice(n, size=n_dead, replace=False, p=p_die / p_die.sum())
        died = np.full(n, -1, dtype=np.int64)
        died[dead] = _uniform_days(rng, date(y0 - 1, 1, 1), date(y_last - 1, 12, 31), n_dead)
        died[dead] = np.maximum(died[dead], self.birth[dead] + 1)
        self.died = died
        self.death_propagated = self.draw(1 - life.death_not_propagated, died >= 0)
        self.trait((died >= 0) & self.death_propagated, "death_propagated")
        self.trait((died >= 0) & ~self.death_propagated, "death_not_propagated")

        # Assistance cases (civil affairs); their holders are residents (390), not employees.
        self.assisted = self.draw(life.assistance)
        k = int(self.assisted.sum())
        self.assist_type = np.full(n, None, dtype=object)
        self.assist_type[self.assisted] = np.asarray(ASSISTANCE_TYPES, dtype=object)[
            rng.choice(len(ASSISTANCE_TYPES), size=k, p=np.asarray(ASSISTANCE_WEIGHTS))
        ]
        subsidisable = np.isin(self.assist_type, SUBSIDISABLE)
        self.assist_not_enrolled = self.draw(life.assistance_not_enrolled, subsidisable)
        self.assist_not_subsidized = self.draw(
            life.assistance_not_subsidized, subsidisable & ~self.assist_not_enrolled
        )
        self.trait(self.assist_not_enrolled, "assistance_not_enrolled")
        self.trait(self.assist_not_subsidized, "assistance_not_subsidized")

        # Work: employees (310) among working-age adults and retired employees.
        working_age = (age_now >= 19) & (age_now <= 60)
        self.employee = (
            self.draw(life.employee, working_age) | self.draw(0.3, age_now > 60)
        ) & ~self.assisted
        self.work_province = self.province.copy()
        self.migrant = self.draw(life.migrant_worker, self.employee & working_age)
        mig = np.flatnonzero(self.migrant)
        self.work_province[mig] = self.other_province(mig)
        self.work_county = self.hukou.copy()
        self.work_county[mig] = self.county_in(self.work_province[mig])
        self.family_keeps_390 = self.draw(life.migrant_family_keeps_390, self.migrant)
        self.job_not_ended = self.draw(life.job_change_not_ended, self.employee & working_age & ~self.migrant)
        self.trait(self.migrant, "migrant_worker")
        self.trait(self.family_keeps_390, "migrant_keeps_390_at_home")
        self.trait(self.job_not_ended, "job_change_not_ended")

        # Inter-province hukou moves of residents: the move happens in year M; from M+1 on the
        # person is enrolled at the new hukou, and the old enrollment is either ended or forgotten.
        self.mover = self.draw(
            life.hukou_move, (age_now >= 19) & ~self.employee & ~self.assisted & (died < 0)
        )
        movers = np.flatnonzero(self.mover)
        self.move_year = np.full(n, 0, dtype=np.int64)
        self.move_year[movers] = rng.choice(np.arange(y0 - 1, y_last), size=len(movers))
        self.move_day = np.full(n, -1, dtype=np.int64)
        self.move_day[movers] = np.asarray(
            [_days(date(int(y), 3, 1)) for y in self.move_year[movers]]
        ) + rng.integers(0, 200, len(movers))
        self.old_province = np.full(n, None, dtype=object)
        self.old_province[movers] = self.other_province(movers)
        self.old_county = np.full(n, None, dtype=object)
        self.old_county[movers] = self.county_in(self.old_province[movers])
        self.old_kept = self.draw(life.move_old_enrollment_kept, self.mover)
        self.trait(self.mover & self.old_kept, "moved_hukou_old_enrollment_kept")
        self.trait(self.mover & ~self.old_kept, "moved_hukou_old_enrollment_ended")

        # Higher education: about half of 18-21 year olds; some study in another province.
        self.higher_ed = self.draw(0.55)
        self.school_province = self.province.copy()
        self.studies_away = self.draw(life.student_out_of_province, self.higher_ed)
        away = np.flatnonzero(self.studies_away)
        self.school_province[away] = self.other_province(away)
        self.school_county = self.hukou.copy()
        self.school_county[self.higher_ed] = self.county_in(self.school_province[self.higher_ed])
        self.enrolled_twice = self.draw(life.student_enrolled_twice, self.higher_ed)
        self.vocational = self.draw(0.3)
        self.withdrawn = self.draw(0.01)

    # ---- records ------------------------------------------------------------------------------
    def student_stage(self, academic_year: int) -> np.ndarray:
        """Stage of each person in an academic year (None = not a student)."""
        age = self.age_on(date(academic_year, 9, 1))
        stage = np.full(self.n, None, dtype=object)
        stage[(age >= 3) & (age <= 5)] = "preschool"
        stage[(age >= 6) & (age <= 11)] = "primary"
        stage[(age >= 12) & (age <= 14)] = "junior"
        senior = (age >= 15) & (age <= 17)
        stage[senior] = np.where(self.vocational[senior], "vocational", "senior")
        stage[(age >= 18) & (age <= 21) & self.higher_ed] = "higher"
        dead = (self.died >= 0) & (self.died < _days(date(academic_year, 9, 1)))
        stage[dead] = None
        return stage

    def education(self) -> pl.DataFrame:
        rows = Rows()
        student_no = np.asarray([f"G{v:013d}" for v in self.rng.permutation(self.n) + 10**12], dtype=object)
        names = {
            "preschool": "幼儿园",
            "primary": "小学",
            "junior": "初级中学",
            "senior": "高级中学",
            "vocational": "职业技术学校",
            "higher": "大学",
        }
        county_names = dict(zip(current_counties()["code"], current_counties()["name"], strict=True))
        for ay in self.years:
            stage = self.student_stage(ay)
            idx = np.flatnonzero(stage != None)  # noqa: E711
            st = stage[idx]
            school = np.where(st == "higher", self.school_county[idx], self.hukou[idx])
            numbered = self.rng.integers(1, 9, len(idx)).astype(str).astype(object)
            school_name = (
                np.asarray([county_names.get(c, "") for c in school], dtype=object)
                + "第"
                + numbered
                + np.asarray([names[s] for s in st], dtype=object)
            )
            higher = st == "higher"
            school_name[higher] = np.asarray(
                [PROVINCES[c[:2]] for c in school[higher]], dtype=object
            ) + np.where(numbered[higher] < "5", "理工大学", "师范学院")
            status = np.where(self.withdrawn[idx], "withdrawn", "enrolled").astype(object)
            rows.add(
                len(idx),
                person=idx,
                student_no=student_no[idx],
                school_name=school_name,
                school_region_code=school,
                stage=st,
                academic_year=np.full(len(idx), ay),
                status=status,
            )
        return self._with_identity(rows.frame(), "education")

    def enrollment_and_tax(self) -> tuple[pl.DataFrame, pl.DataFrame]:
        life, rng, n = self.config.life, self.rng, self.n
        enr = Rows()
        started = self.birth + rng.integers(0, 365 * 5, n)  # first enrolled some time after birth
        job_start = _uniform_days(rng, date(2005, 1, 1), date(self.years[0] - 1, 12, 31), n)
        for year in self.years:
            jan1 = _days(date(year, 1, 1))
            alive_jan1 = (self.birth < jan1) & ((self.died < 0) | (self.died >= jan1))
            newborn = (self.birth >= jan1) & (self.birth < _days(date(year, 12, 31))) & self.draw(0.8)
            dead_before = (self.died >= 0) & (self.died < jan1)
            ghost = dead_before & ~self.death_propagated  # enrollment renewed for the dead
            covered = alive_jan1 | newborn | ghost
            stage = self.student_stage(year)
            student = (stage != None) & (stage != "preschool") & ~self.withdrawn  # noqa: E711
            opt_out = self.draw(
                life.youth_opt_out,
                (self.age_on(date(year, 1, 1)) >= 18)
                & (self.age_on(date(year, 1, 1)) <= 30)
                & ~self.employee
                & ~student,
            )
            student_gap = self.draw(life.student_not_enrolled, student)
            skip = opt_out | student_gap | self.assist_not_enrolled
            self.trait(opt_out & covered, f"youth_opt_out_{year}")
            self.trait(student_gap & covered, f"student_not_enrolled_{year}")
            base = covered & ~skip
            enrolled_on = np.maximum(started, self.birth)

            # Employees: 310 at the place of work; a forgotten second 310 elsewhere in the province.
            emp = np.flatnonzero(base & self.employee)
            enr.add(
                len(emp),
                person=emp,
                variant=0,
                scheme="310",
                county=self.work_county[emp],
                year=year,
                status="active",
                enrolled_on=job_start[emp],
                category="在职职工",
            )
            dup = np.flatnonzero(base & self.job_not_ended)
            enr.add(
                len(dup),
                person=dup,
                variant=1,
                scheme="310",
                county=self.county_in(self.work_province[dup]),
                year=year,
                status="active",
                enrolled_on=job_start[dup] + 400,
                category="在职职工",
            )
            # Residents: 390 at the hukou of that year; migrant workers' families keep one at home.
            res = base & (~self.employee | self.family_keeps_390)
            moved_by = self.mover & (self.move_year < year)
            home = np.where(moved_by | ~self.mover, self.hukou, self.old_county)
            at_school = student & (stage == "higher") & (self.school_county != self.hukou)
            school_only = at_school & ~self.enrolled_twice
            idx = np.flatnonzero(res & ~school_only)
            category = np.where(student[idx], "学生", "城乡居民").astype(object)
            enr.add(
                len(idx),
                person=idx,
                variant=0,
                scheme="390",
                county=home[idx],
                year=year,
                status="active",
                enrolled_on=enrolled_on[idx],
                category=category,
            )
            # Students studying away: enrolled at school (and, for some, at home too).
            idx = np.flatnonzero(res & at_school)
            enr.add(
                len(idx),
                person=idx,
                variant=2,
                scheme="390",
                county=self.school_county[idx],
                year=year,
                status="active",
                enrolled_on=_uniform_days(rng, date(year - 1, 9, 1), date(year - 1, 10, 31), len(idx)),
                category="学生",
            )
            self.trait(res & at_school & self.enrolled_twice, f"student_enrolled_twice_{year}")
            # Movers: the old province's enrollment after the move, ended or forgotten.
            idx = np.flatnonzero(base & moved_by)
            status = np.where(self.old_kept[idx], "active", "terminated").astype(object)
            terminated_on = np.where(self.old_kept[idx], None, _date_array(self.move_day[idx]).astype(object))
            enr.add(
                len(idx),
                person=idx,
                variant=0,
                scheme="390",
                county=self.old_county[idx],
                year=year,
                status=status,
                enrolled_on=enrolled_on[idx],
                terminated_on=terminated_on,
                category="城乡居民",
            )

        enrollment = enr.frame()
        enrollment = self._mark_deaths(enrollment)
        tax, enrollment = self._payments(enrollment)
        enrollment = enrollment.with_columns(
            insured_region_code=pl.col("county"),
            coverage_year=pl.col("year").cast(pl.Int32),
            person_no=self._person_numbers(enrollment),
            id_type=pl.lit("01"),
        )
        phones = self.rng.integers(3_000_000_000, 9_999_999_999, enrollment.height).astype(str)
        enrollment = enrollment.with_columns(
            phone=pl.lit("1") + pl.Series(phones), person_category=pl.col("category")
        )
        return self._with_identity(enrollment, "enrollment"), self._with_identity(tax, "tax")

    def _mark_deaths(self, enrollment: pl.DataFrame) -> pl.DataFrame:
        """A death that reached the enrollment system terminates that year's enrollment on the day."""
        died = pl.Series("died", self.died)
        propagated = pl.Series("prop", self.death_propagated)
        e = enrollment.join(
            pl.DataFrame({"person": np.arange(self.n), "died": died, "prop": propagated}),
            on="person",
            how="left",
        )
        death_date = _date_of(pl.col("died"))
        in_year = (pl.col("died") >= 0) & (death_date.dt.year() == pl.col("year")) & pl.col("prop")
        return e.with_columns(
            status=pl.when(in_year).then(pl.lit("terminated")).otherwise(pl.col("status")),
            terminated_on=pl.when(in_year).then(death_date).otherwise(pl.col("terminated_on").cast(pl.Date)),
        ).drop("died", "prop")

    def _payments(self, enrollment: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
        """Premiums for active enrollments; unpaid ones, lost enrollment pushes, unsubsidised assistance."""
        life, rng = self.config.life, self.rng
        e = enrollment.with_columns(row=pl.int_range(pl.len()))
        h = e.height
        died_before = pl.Series(self.died)
        dead_jan1 = (died_before.gather(e["person"]) >= 0) & (
            died_before.gather(e["person"]) < pl.Series([_days(date(y, 1, 1)) for y in e["year"]])
        )
        active = (e["status"] == "active").to_numpy()
        resident = (e["scheme"] == "390").to_numpy()
        unpaid = (rng.random(h) < life.enrollment_unpaid) & resident
        paid = active & ~dead_jan1.to_numpy() & ~unpaid
        lost_push = paid & resident & (rng.random(h) < life.payment_push_lost)
        self.trait(e["person"].to_numpy()[unpaid & active], "enrollment_unpaid")
        self.trait(e["person"].to_numpy()[lost_push], "payment_push_lost")
        person = e["person"].to_numpy()
        year = e["year"].to_numpy().astype(np.int64)
        subsidised = (
            np.isin(self.assist_type[person], SUBSIDISABLE) & ~self.assist_not_subsidized[person] & resident
        )
        paid_idx = np.flatnonzero(paid)
        y = year[paid_idx]
        res_p = resident[paid_idx]
        start_res = np.asarray([_days(date(int(v) - 1, 9, 1)) for v in y])
        start_emp = np.asarray([_days(date(int(v), 1, 5)) for v in y])
        paid_on = np.where(
            res_p, start_res + rng.integers(0, 120, len(y)), start_emp + rng.integers(0, 300, len(y))
        )
        paid_on = np.minimum(paid_on, _days(self.config.as_of) - 1)
        amount = np.where(res_p, np.where(y >= 2026, 400.0, 380.0), rng.integers(300, 1200, len(y)) * 10.0)
        receipt = np.asarray([f"3{v:019d}" for v in rng.permutation(len(y)) + 10**15], dtype=object)
        tax = pl.DataFrame(
            {
                "person": person[paid_idx],
                "receipt_no": receipt,
                "scheme": e["scheme"].to_numpy()[paid_idx],
                "coverage_year": y.astype(np.int32),
                "amount": amount,
                "paid_on": _date_array(paid_on),
                "region_code": e["county"].to_numpy()[paid_idx],
                "payer_type": np.where(subsidised[paid_idx], "subsidized", "self"),
            },
            schema_overrides={"paid_on": pl.Date},
        )
        enrollment = e.filter(~pl.Series(lost_push)).drop("row")
        return tax, enrollment

    def _person_numbers(self, enrollment: pl.DataFrame) -> pl.Series:
        """个人编号: one per person, province and registration (a second registration gets another)."""
        keys = enrollment.select(
            "person", prov=pl.col("county").str.slice(0, 2), variant=pl.col("variant").cast(pl.Int64)
        )
        uniq = keys.unique().sort(["person", "prov", "variant"])
        numbers = self.rng.permutation(uniq.height) + 10**9
        uniq = uniq.with_columns(person_no=pl.col("prov") + pl.Series(numbers.astype(str)))
        return keys.join(uniq, on=["person", "prov", "variant"], how="left", maintain_order="left")[
            "person_no"
        ]

    def public_security(self) -> pl.DataFrame:
        rng, n = self.rng, self.n
        county_names = dict(zip(current_counties()["code"], current_counties()["name"], strict=True))
        roads = np.asarray(list("中山人民解放建设和平文化新华胜利朝阳东风幸福光明青年"), dtype=object)
        idx = np.arange(n)
        status = np.where(self.died >= 0, "deceased", "normal").astype(object)
        status_date = np.where(self.died >= 0, self.died, np.where(self.mover, self.move_day, -1))
        cur = pl.DataFrame(
            {
                "person": idx,
                "hukou_region_code": self.hukou,
                "status": status,
                "status_day": status_date,
                "moved_to_region_code": np.full(n, None, dtype=object),
            }
        )
        movers = np.flatnonzero(self.mover)
        old = pl.DataFrame(
            {
                "person": movers,
                "hukou_region_code": self.old_county[movers],
                "status": np.full(len(movers), "moved_out", dtype=object),
                "status_day": self.move_day[movers],
                "moved_to_region_code": self.hukou[movers],
            }
        )
        ps = pl.concat([cur, old], how="vertical_relaxed")
        m = ps.height
        road = roads[rng.integers(0, len(roads), m)] + roads[rng.integers(0, len(roads), m)]
        numbers = rng.integers(1, 300, m).astype(str).astype(object)
        address = (
            np.asarray([county_names.get(c, "") for c in ps["hukou_region_code"]], dtype=object)
            + road
            + "路"
            + numbers
            + "号"
        )
        resident_no = np.asarray([f"R{v:011d}" for v in rng.permutation(m) + 10**10], dtype=object)
        ps = ps.with_columns(
            address=pl.Series(address, dtype=pl.String),
            resident_no=pl.Series(resident_no, dtype=pl.String),
            status_date=pl.when(pl.col("status_day") >= 0).then(_date_of(pl.col("status_day"))),
        ).drop("status_day")
        return self._with_identity(ps, "public_security")

    def civil_affairs(self) -> pl.DataFrame:
        rng = self.rng
        idx = np.flatnonzero(self.assisted)
        k = len(idx)
        y0 = self.years[0]
        start = _uniform_days(rng, date(2019, 1, 1), date(y0, 6, 30), k)
        exited = rng.random(k) < 0.15
        end = np.where(exited, _uniform_days(rng, date(y0 - 1, 1, 1), self.config.as_of, k), -1)
        end = np.where(exited, np.maximum(end, start + 30), -1)
        case_no = np.asarray([f"MZ{v:010d}" for v in rng.permutation(k) + 10**9], dtype=object)
        ca = pl.DataFrame(
            {
                "person": idx,
                "case_no": case_no,
                "region_code": self.hukou[idx],
                "assistance_type": self.assist_type[idx],
                "status": np.where(exited, "exited", "active"),
                "effective_from": _date_array(start),
                "end_day": end,
            },
            schema_overrides={"effective_from": pl.Date},
        )
        ca = ca.with_columns(
            effective_to=pl.when(pl.col("end_day") >= 0).then(_date_of(pl.col("end_day")))
        ).drop("end_day")
        return self._with_identity(ca, "civil_affairs")

    # ---- shaping ------------------------------------------------------------------------------
    def _with_identity(self, frame: pl.DataFrame, source: str) -> pl.DataFrame:
        """Attach the true identity, conform to the source's contract columns, add record_key."""
        model = SOURCES[source]
        ident = self.pop.select(
            person=pl.int_range(pl.len()).cast(pl.Int64),
            person_key="person_key",
            id_number="id_number",
            name="name",
            sex="sex",
            birth_date="birth_date",
        )
        frame = frame.with_columns(pl.col("person").cast(pl.Int64)).join(
            ident, on="person", how="left", maintain_order="left", suffix="_p"
        )
        schema = polars_schema(model)
        cols = []
        for name, dtype in schema.items():
            target = (
                pl.Int32
                if name in ("coverage_year", "academic_year")
                else (pl.Float64 if name == "amount" else dtype)
            )
            if name in frame.columns:
                cols.append(pl.col(name).cast(target))
            else:
                cols.append(pl.lit(None, dtype=target).alias(name))
        out = frame.select([*cols, "person_key"])
        return out.with_columns(model.record_key_expr())

    def batches(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Which batch first delivers each record: most in the first, a share in later ones."""
        k = len(self.config.batches)
        late = self.rng.random(frame.height) < self.config.late_share
        index = (
            np.where(late, self.rng.integers(1, max(k, 2), frame.height), 0)
            if k > 1
            else np.zeros(frame.height)
        )
        return frame.with_columns(batch_index=pl.Series(index.astype(np.int32)))

    def person_traits(self) -> pl.Series:
        names: list[list[str]] = [[] for _ in range(self.n)]
        for idx, name in self.traits:
            for i in np.unique(idx):
                names[int(i)].append(name)
        return pl.Series("traits", [sorted(set(t)) for t in names], dtype=pl.List(pl.String))


def simulate(
    pop: pl.DataFrame, config: WorldConfig, rng: np.random.Generator
) -> tuple[dict[str, pl.DataFrame], pl.DataFrame]:
    """Clean record frames per source (final state) and the persons with their traits and deaths."""
    world = World(pop, config, rng)
    world.decide()
    enrollment, tax = world.enrollment_and_tax()
    frames = {
        "enrollment": enrollment,
        "tax": tax,
        "public_security": world.public_security(),
        "education": world.education(),
        "civil_affairs": world.civil_affairs(),
    }
    frames = {s: world.batches(f) for s, f in frames.items()}
    died = pl.Series(world.died)
    persons = pop.with_columns(
        traits=world.person_traits(),
        died_on=pl.when(died >= 0).then(_date_of(died)),
    )
    return frames, persons
