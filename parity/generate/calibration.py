"""Published figures the synthetic workforces are calibrated to (scale 1.0, mid-2024).

Headcounts and women's shares follow the SEESAC regional studies' orders of magnitude; the
figures are targets of the simulation, not data about any real person.
"""
from dataclasses import dataclass

REFERENCE_YEAR = 2024.5  # the shares below hold here; they drift before and after
SHARE_DRIFT_PER_YEAR = 0.003  # women's share rises by a few tenths of a point a year
SIMULATION_START = "2015Q1"  # every run simulates from here, so a quarter is the same whatever range is written


@dataclass(frozen=True)
class CountryCalibration:
    uniformed: int
    civilians: int
    women_share: dict[str, float]  # officer, nco, soldier, civilian (cadet: derived)
    no_women_above_of5: bool
    id_prefix_military: str
    id_prefix_civilian: str
    id_digits: int
    units: dict[str, list[str]]  # service -> unit names as the MoD writes them


COUNTRIES: dict[str, CountryCalibration] = {
    "BIH": CountryCalibration(
        8400, 1000, {"officer": 0.07, "nco": 0.05, "soldier": 0.11, "civilian": 0.45}, True, "OS", "MO", 6,
        {"army": ["4. pješadijski puk", "5. pješadijski puk", "6. pješadijski puk", "Brigada taktičke podrške"],
         "air_force": ["Brigada zračnih snaga", "Bataljon protivzračne odbrane"],
         "joint": ["Zajednički štab OS BiH", "Bataljon vojne policije"],
         "training": ["Centar za obuku Pazarić", "Centar za profesionalni razvoj"],
         "support": ["Komanda za logistiku", "Glavni logistički centar"],
         "ministry": ["Sektor za politiku i planove", "Sektor za personalno upravljanje"]}),
    "MKD": CountryCalibration(
        7000, 1200, {"officer": 0.17, "nco": 0.12, "soldier": 0.06, "civilian": 0.31}, False, "ARM", "ARM", 6,
        {"army": ["Механизирана пешадиска бригада", "Инженериски баталјон", "Баталјон воена полиција"],
         "air_force": ["Воздухопловна бригада", "Ракетен дивизион"],
         "joint": ["Генералштаб на АРМ", "Полк за специјални операции"],
         "training": ["Команда за обука и доктрина", "Воена академија"],
         "support": ["Логистичка база", "Воена болница, Скопје"],
         "ministry": ["Сектор за човечки ресурси", "Сектор за политика на одбрана"]}),
    "MNE": CountryCalibration(
        1800, 250, {"officer": 0.17, "nco": 0.05, "soldier": 0.15, "civilian": 0.55}, False, "VCG", "MO", 5,
        {"army": ["Pješadijski bataljon", "Bataljon specijalnih snaga"],
         "air_force": ["Vazduhoplovna baza Podgorica", "Helikopterska eskadrila"],
         "navy": ["Mornarica VCG, Bar", "Obalna straža"],
         "joint": ["Generalštab VCG", "Četa vojne policije"],
         "training": ["Centar za obuku, Danilovgrad"],
         "support": ["Logistički bataljon", "Centar za održavanje"],
         "ministry": ["Direktorat za ljudske resurse", "Kabinet ministra"]}),
    "SRB": CountryCalibration(
        23000, 6000, {"officer": 0.11, "nco": 0.04, "soldier": 0.18, "civilian": 0.54}, True, "VS", "MO", 6,
        {"army": ["Прва бригада КоВ", "Друга бригада КоВ", "Трећа бригада КоВ", "Четврта бригада КоВ"],
         "air_force": ["204. ваздухопловна бригада", "250. ракетна бригада ПВД"],
         "joint": ["Гарда", "Специјална бригада"],
         "training": ["Центар за обуку Војске Србије", "Војна академија"],
         "support": ["Војномедицински центар", "Централна логистичка база"],
         "ministry": ["Сектор за политику одбране", "Сектор за људске ресурсе"]}),
}

# Structure of a uniformed workforce (shares of uniformed) and yearly flows.
CATEGORY_SPLIT = {"officer": 0.18, "nco": 0.32, "soldier": 0.50}
CADETS_PER_UNIFORMED = 0.03
CADET_QUARTERS = 16  # four years at the academy, then OF-1
QUARTERLY_SEPARATION = {"officer": 0.012, "nco": 0.012, "soldier": 0.025, "cadet": 0.01, "civilian": 0.015}
WOMEN_SEPARATION_FACTOR = 0.9
QUARTERLY_PROMOTION = 0.045
RETIREMENT_AGE = 60
ADMISSION_RATE = 0.35  # admitted / decided applications
QUARTERLY_DEPLOYMENT_START = 0.012  # of uniformed, per quarter
WOMEN_DEPLOYMENT_FACTOR = 0.8
QUARTERLY_TRAINING = 0.03
QUARTERLY_COMPLAINTS_PER_1000 = 0.35
SERVICE_WEIGHTS = {  # by category; navy only where the country has one
    "uniformed": {"army": 0.55, "air_force": 0.15, "navy": 0.08, "joint": 0.1, "training": 0.07, "support": 0.13},
    "cadet": {"training": 1.0},
    "civilian": {"ministry": 0.45, "support": 0.3, "training": 0.1, "joint": 0.1, "army": 0.05},
}
MISSIONS = [  # (mission, organization, weight)
    ("UNIFIL", "UN", 0.3), ("UNFICYP", "UN", 0.05), ("UNMISS", "UN", 0.05), ("MINUSCA", "UN", 0.05),
    ("MINURSO", "UN", 0.03), ("EUFOR ALTHEA", "EU", 0.15), ("EUTM MALI", "EU", 0.04),
    ("EUTM SOMALIA", "EU", 0.03), ("KFOR", "NATO", 0.25), ("OSCE SMM", "OSCE", 0.05),
]
