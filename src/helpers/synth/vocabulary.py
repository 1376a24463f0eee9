"""What the synthetic records say: offence titles, MO text, flags, roles, ethnicities, age and year weights.

Every value is invented or a public Home Office code; titles and MO text are recorded
with the misspellings and look-alikes that the selection rules must cope with.
"""
from __future__ import annotations

import numpy as np


class Component:
    """Which planted structure a CSA-like crime belongs to (int8 codes in the crime ledger)."""

    SINGLE, REVICTIMISED, MULTI_OFFENDER, GROUP, PROLIFIC, DOMESTIC_ABUSE, ADULT = range(7)
    LINKED = (REVICTIMISED, MULTI_OFFENDER, GROUP, PROLIFIC)


# Committed-from year weights: rising to 2019, a dip in 2012, slightly down in 2020,
# 2021 partial (to as_of); earlier years are non-recent (historic) abuse.
YEAR_WEIGHTS = {2005: 2.0, 2006: 2.2, 2007: 2.4, 2008: 2.6, 2009: 2.9, 2010: 3.3, 2011: 3.8, 2012: 3.4,
                2013: 4.6, 2014: 5.6, 2015: 6.8, 2016: 7.8, 2017: 8.8, 2018: 9.6, 2019: 10.2, 2020: 9.6,
                2021: 1.9}
HISTORIC_WEIGHT = 17.0  # spread over 1960-2004, growing towards 2004

_age_weights = np.array([0.5, 0.5, 1, 1.5, 2, 2.5, 3, 3, 3.5, 3.5, 4, 4.5, 6, 9, 11.5, 9.5, 7, 4.5])
VICTIM_AGE_P = _age_weights / _age_weights.sum()   # age 0..17 at the first crime
GROUP_VICTIM_AGES = np.arange(11, 17)
GROUP_VICTIM_AGE_P = [.05, .1, .2, .3, .25, .1]
PEER_GAP = np.array([-3, -2, -1, 0, 1, 2, 3, 4, 5])  # peer offender's age minus the child's
_gap_weights = np.array([0.005, 0.014, 0.063, 0.30, 0.25, 0.18, 0.10, 0.06, 0.039])
PEER_GAP_P = _gap_weights / _gap_weights.sum()

ETHNICITIES = np.array(["IC1 - White North European", "IC2 - White South European", "IC3 - Black",
                        "IC4 - Asian", "IC5 - Chinese, Japanese or SE Asian", "IC6 - Arab or North African",
                        "IC9 - Unknown"], dtype=object)
UNKNOWN_ETHNICITY = "IC9 - Unknown"
ETHNICITY_P_GENERAL = np.array([0.62, 0.03, 0.08, 0.14, 0.01, 0.02, 0.10])
ETHNICITY_P_VICTIM = [0.62, 0.03, 0.05, 0.07, 0.01, 0.02, 0.20]
ETHNICITY_P_OFFENDER = [0.028, 0.002, 0.008, 0.009, 0.001, 0.002, 0.95]  # mostly not recorded
# a record's ethnicity differing from the person's usual value: missing, unknown, or another code
ETHNICITY_VARIANTS = [None, UNKNOWN_ETHNICITY] + list(ETHNICITIES[:6])
ETHNICITY_VARIANT_P = [4, 2, 2, 0.3, 0.3, 0.3, 0.1, 0.1]

# victim group of a CSA crime -> (Home Office code, title as recorded, title has child AND sex word, weight)
CSA_TITLES = {
    "F<13": [("20B", "sexual assault on female child under 13", 1, 30),
             ("19E", "rape of female child under 13 by a male", 1, 22),
             ("21", "Sexual activity involving a child under 13", 1, 6),
             ("19E", "Assault of a female child under 13 by penetration", 1, 3)],
    "F13": [("20A", "sexual assault on a female 13 or over", 0, 45), ("19D", "Rape of a female child under 16", 1, 10),
            ("22B", "Sexual activity involving a child under 16", 1, 10),
            ("22B", "cause/incite girl 13-15 to engage in sexual activity", 1, 3),
            ("19C", "rape of a female aged 16 or over", 1, 4),
            ("73", "Abuse of position of trust - sexual activity", 0, 2)],
    "M<13": [("17B", "sexual assault on a male child under 13", 1, 30), ("19H", "Rape of a male child under 13", 1, 12),
             ("21", "Sexual activity involving a child under 13", 1, 6)],
    "M13": [("17A", "sexual assault on a male 13 or over", 0, 35), ("19G", "rape of a male child under 16", 1, 10),
            ("22B", "Sexual activity involving a child under 16", 1, 10)],
    "ANY": [("86", "distribute indec photo of child", 1, 10),
            ("86", "Take/make/distribute indecent photograph of child", 1, 8),
            ("71", "cause/incite child prositution or pornography 13-17", 1, 3),
            ("88C", "incite child commit gross indecency-girl", 1, 2),
            ("88A", "Meeting a child following sexual grooming", 1, 4),
            ("88A", "sexual communication with a child", 1, 5), ("71", "Paying for sexual services of a child", 1, 1),
            ("88E", "Exposure", 0, 3), ("88C", "Other miscellaneous sexual offences", 0, 3),
            ("22A", "Causing sexual activity without consent", 0, 2), ("23", "Familial sexual offence", 0, 2)],
}
ADULT_SEXUAL_TITLES = [
    ("19C", "rape of a female aged 16 or over", 1, 25), ("20A", "sexual assault on a female 13 or over", 0, 35),
    ("17A", "sexual assault on a male 13 or over", 0, 8), ("19F", "Rape of a male aged 16 or over", 1, 4),
    ("22A", "Causing sexual activity without consent", 0, 10), ("24", "Exploitation of prostitution", 0, 3),
    ("72", "Trafficking for sexual exploitation", 0, 2),
    ("70", "Sexual activity with a person with a mental disorder", 0, 2), ("88E", "Exposure and voyeurism", 0, 8),
]
# (code, title, offence_type, weight)
ORDINARY_TITLES = [
    ("49", "Other theft", "ACQUISITIVE", 9), ("49", "Theft of pedal cycle", "ACQUISITIVE", 3),
    ("49", "theft - other", "ACQUISITIVE", 2), ("46", "Shoplifting", "ACQUISITIVE", 9),
    ("46", "Theft from shop or stall", "ACQUISITIVE", 3), ("105A", "Common assault and battery", "VIOLENCE", 12),
    ("8N", "Assault occasioning actual bodily harm", "VIOLENCE", 9),
    ("58A", "Criminal damage to a dwelling", "OTHER", 9), ("28E", "Burglary - residential", "ACQUISITIVE", 5),
    ("28E", "burglary dwelling", "ACQUISITIVE", 2), ("9A", "Public fear, alarm or distress", "PUBLIC ORDER", 7),
    ("8L", "Harassment", "VIOLENCE", 6), ("8L", "Stalking", "VIOLENCE", 2),
    ("39", "Theft from the person", "ACQUISITIVE", 3), ("34B", "Robbery of personal property", "ACQUISITIVE", 3),
    ("34A", "Robbery of business property", "ACQUISITIVE", 0.7),
    ("92D", "Possession of controlled drug - class A", "DRUGS", 2), ("92E", "Possession of cannabis", "DRUGS", 3),
    ("92A", "Supply of controlled drug - class A", "DRUGS", 1),
    ("10D", "Possess knife blade or sharp pointed article in public", "VIOLENCE", 1.5),
    ("10A", "Possess firearm with intent", "VIOLENCE", 0.2), ("5D", "Wounding with intent to do GBH", "VIOLENCE", 1),
    ("2", "Attempted murder", "VIOLENCE", 0.1), ("1", "Murder", "VIOLENCE", 0.05),
    ("11A", "Cruelty to children/young persons", "VIOLENCE", 0.8), ("13", "Child abduction", "OTHER", 0.3),
    ("106", "Modern slavery", "OTHER", 0.3), ("88E", "Exposure and voyeurism", "SEXUAL OFFENCES", 0.8),
]
# MO text: really matching the MO words (CSA), neutral, innocent look-alikes, matching-but-adult.
MO_CSA = ["Offender groomed victim via social media", "victim reported as misper and found with older males",
          "CSE concerns raised by school", "MASH referral made by social care",
          "offender engaged victim in sexual activity",
          "victim disclosed rape to teacher", "concern for welfare raised by children's services",
          "child sexual abuse disclosed during interview", "victim found to be pregnant",
          "penetrative assault at offender's home", "offender sent sexual images to victim",
          "victim exploited in exchange for gifts, alcohol and cigarettes", "discussed at MASE meeting",
          "MACE referral following missing episode", "OFFENDER GROOMED VICTIM ONLINE"]
MO_CSA_NEUTRAL = ["Offender touched victim over clothing", "incident occurred at park", "victim disclosed to parent",
                  "offender sent messages via app", "incident at offender's home",
                  "victim told friend who informed school"]
MO_INNOCENT = ["smashed rear window and stole items", "walked along Essex Road and assaulted victim",
               "stole card holder from bag", "stole grapes and spirits from store", "offender kicked door",
               "suspect stole vehicle from driveway", "victim punched in face outside bar",
               "offenders made off with phone", "found in possession of cannabis", "damaged wing mirror",
               "argument on Sussex Street escalated", "threw bottle at victim", "SMASHED SHOP WINDOW",
               "offender used a screwdriver to force lock", "stole purse and card holder",
               "Middlesex Street disturbance"]
MO_ADULT_MATCH = ["concern for welfare of adult victim", "victim sprayed with mace",
                  "older male seen leaving the scene",
                  "victim pregnant at time of assault", "sexual comments made to victim",
                  "Concern for welfare call from neighbour"]

CSA_IF_CODES = ["CAO", "CSE", "PPC"]
CSA_IF_CODE_P = [0.5, 0.25, 0.25]
OTHER_IF_CODES = np.array(["DRG", "ALC", "HATE", "DV", "ASB", "GNG", "KNF", "MSP", "ONL"], dtype=object)

OFFENDER_ROLES = np.array(["OFFENDER", "DEFENDANT", "SUSPECT", "PERSON THOUGHT RESPONSIBLE",
                           "PERSON PROBABLY RESPONSIBLE"], dtype=object)
OFFENDER_ROLE_P = np.array([0.33, 0.15, 0.37, 0.10, 0.05])
# nominal kinds before roles are drawn
VICTIM, OFFENDER, WITNESS, REPORTER = 0, 1, 2, 3
KIND_ROLES = {VICTIM: "VICTIM", WITNESS: "WITNESS", REPORTER: "REPORTING PERSON"}
