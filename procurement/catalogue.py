"""Realistic reference data for demo and test records: who the parties are and where they are.

``seed_demo`` builds its programme from these lists and the factories draw their defaults from them, so a demo,
a screenshot or a failing test reads like a real PPP programme (no lorem ipsum, no "Ministry 17"), and a vendor's
address, phone number and currency always belong to its country. Plain data: no models, no queries.
"""

import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class CountryProfile:
    currency: str  # ISO 4217, what contracts with a party there are usually paid in
    phone_prefix: str  # and the local number's shape (digits as #)
    phone_pattern: str
    company_suffix: str
    # Postal addresses in the country's own format (street, then postcode and city as the post office wants them).
    addresses: tuple[str, ...]
    people: tuple[str, ...]


COUNTRIES: dict[str, CountryProfile] = {
    "IE": CountryProfile(
        currency="EUR",
        phone_prefix="+353",
        phone_pattern="1 ### ####",
        company_suffix="Ltd",
        addresses=(
            "Block B, Sandyford Business Park\nDublin 18\nD18 T6K2",
            "3 Lapps Quay\nCork\nT12 RX6C",
            "Unit 7, Galway Technology Park\nParkmore, Galway\nH91 W2E8",
            "41 O'Connell Street\nLimerick\nV94 X2F9",
        ),
        people=("Siobhán Murphy", "Ciarán O'Brien", "Aoife Kelly", "Declan Byrne", "Niamh Walsh", "Eoin Ryan"),
    ),
    "GB": CountryProfile(
        currency="GBP",
        phone_prefix="+44",
        phone_pattern="20 #### ####",
        company_suffix="Ltd",
        addresses=(
            "14 Wellington Street\nLeeds\nLS1 4DL",
            "2 Brindleyplace\nBirmingham\nB1 2JB",
            "85 Queen Victoria Street\nLondon\nEC4V 4AB",
            "1 Marsden Street\nManchester\nM2 1HW",
        ),
        people=("Rachel Hughes", "Tom Fletcher", "Priya Shah", "Gareth Evans", "Hannah Clarke", "Daniel Okoro"),
    ),
    "DE": CountryProfile(
        currency="EUR",
        phone_prefix="+49",
        phone_pattern="30 ######",
        company_suffix="GmbH",
        addresses=(
            "Friedrichstraße 123\n10117 Berlin",
            "Mainzer Landstraße 50\n60325 Frankfurt am Main",
            "Leopoldstraße 244\n80807 München",
            "Am Sandtorkai 74\n20457 Hamburg",
        ),
        people=("Katrin Schmidt", "Jonas Becker", "Anna Weber", "Lukas Hoffmann", "Miriam Fischer", "Stefan Wagner"),
    ),
    "FR": CountryProfile(
        currency="EUR",
        phone_prefix="+33",
        phone_pattern="1 ## ## ## ##",
        company_suffix="SAS",
        addresses=(
            "18 rue de la République\n69002 Lyon",
            "42 avenue de la Grande Armée\n75017 Paris",
            "5 allées de Tourny\n33000 Bordeaux",
            "27 boulevard Carnot\n59800 Lille",
        ),
        people=("Camille Laurent", "Julien Moreau", "Élodie Girard", "Nicolas Lefèvre", "Sophie Bernard", "Hugo Petit"),
    ),
    "NL": CountryProfile(
        currency="EUR",
        phone_prefix="+31",
        phone_pattern="30 ### ####",
        company_suffix="B.V.",
        addresses=(
            "Stationsplein 45\n3511 ED Utrecht",
            "Weena 505\n3013 AL Rotterdam",
            "Gustav Mahlerplein 2\n1082 MA Amsterdam",
            "Kneuterdijk 8\n2514 EN Den Haag",
        ),
        people=("Sanne de Vries", "Joost Bakker", "Lotte Jansen", "Pieter van Dijk", "Femke Visser", "Ruben Smit"),
    ),
    "ES": CountryProfile(
        currency="EUR",
        phone_prefix="+34",
        phone_pattern="91 ### ## ##",
        company_suffix="S.L.",
        addresses=(
            "Calle de Alcalá 85\n28009 Madrid",
            "Avinguda Diagonal 640\n08017 Barcelona",
            "Calle Colón 1\n46004 Valencia",
            "Avenida de la Constitución 20\n41004 Sevilla",
        ),
        people=("Lucía García", "Javier Martín", "Marta Sánchez", "Alejandro Ruiz", "Carmen López", "Pablo Navarro"),
    ),
    "KE": CountryProfile(
        currency="KES",
        phone_prefix="+254",
        phone_pattern="20 ### ####",
        company_suffix="Limited",
        addresses=(
            "Delta Corner Tower, Waiyaki Way\nP.O. Box 30157-00100\nNairobi",
            "ABC Place, Waiyaki Way\nP.O. Box 45120-00100\nNairobi",
            "Moi Avenue, Mombasa Trade Centre\nP.O. Box 90420-80100\nMombasa",
        ),
        people=("Wanjiru Kamau", "Otieno Ochieng", "Achieng Odhiambo", "Kipchoge Mutai", "Njeri Mwangi", "Baraka Ali"),
    ),
    "IN": CountryProfile(
        currency="INR",
        phone_prefix="+91",
        phone_pattern="80 #### ####",
        company_suffix="Private Limited",
        addresses=(
            "4th Floor, Prestige Meridian, 29 MG Road\nBengaluru, Karnataka 560001",
            "Tower B, DLF Cyber City, Phase II\nGurugram, Haryana 122002",
            "Bandra Kurla Complex, G Block\nMumbai, Maharashtra 400051",
        ),
        people=("Ananya Iyer", "Rohan Mehta", "Kavya Nair", "Arjun Reddy", "Priyanka Das", "Vikram Singh"),
    ),
    "CA": CountryProfile(
        currency="CAD",
        phone_prefix="+1",
        phone_pattern="416 ### ####",
        company_suffix="Inc.",
        addresses=(
            "250 Front Street West\nToronto ON  M5V 3G5",
            "1000 De La Gauchetière Street West\nMontréal QC  H3B 4W5",
            "885 West Georgia Street\nVancouver BC  V6C 3E8",
        ),
        people=("Emily Tremblay", "Liam MacDonald", "Chloé Gagnon", "Noah Wilson", "Olivia Roy", "Ethan Campbell"),
    ),
}


def address_for(country: str, number: int) -> str:
    """The ``number``-th address (cycling) in ``country``'s format; a plain one for a country not listed."""
    profile = COUNTRIES.get(country)
    if profile is None:
        return f"Head office\n{country}"
    return profile.addresses[number % len(profile.addresses)]


def phone_for(country: str, number: int) -> str:
    """A switchboard-style number in the country's format (``+44 20 7946 0012``), stable for ``number``."""
    profile = COUNTRIES.get(country, COUNTRIES["GB"])
    digits = iter(f"{(number * 7919 + 104729) % 10**10:010d}")
    return f"{profile.phone_prefix} " + "".join(next(digits) if char == "#" else char for char in profile.phone_pattern)


def person_for(country: str, number: int) -> str:
    profile = COUNTRIES.get(country, COUNTRIES["GB"])
    return profile.people[number % len(profile.people)]


def email_local_part(name: str) -> str:
    """``Siobhán O'Brien`` -> ``siobhan.obrien`` (what a company's mail server would make of the name)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return ".".join("".join(c for c in part if c.isalnum()) for part in ascii_name.lower().split())


def domain_for(legal_name: str) -> str:
    """A reserved ``.example`` domain from the company name: looks real, can never reach a real company."""
    first_words = email_local_part(legal_name.replace("&", " ")).split(".")[:2]
    return "-".join(first_words) + ".example"


# Company names by country, for factories that need one more vendor (seed_demo uses DEMO_VENDORS below).
VENDOR_NAMES: dict[str, tuple[str, ...]] = {
    "IE": ("Shannonside Civil Engineering", "Liffey Digital Services", "Corrib Facilities Management"),
    "GB": ("Pennine Infrastructure Partners", "Thameside Health Estates", "Northgate Data Services"),
    "DE": ("Rheinland Bau", "Spree Cloud Systeme", "Hanse Verkehrstechnik"),
    "FR": ("Rhône Ingénierie", "Atlantique Services Publics", "Garonne Facility"),
    "NL": ("Deltawerk Infra", "Utrechtse Datadiensten", "Polder Bouwcombinatie"),
    "ES": ("Ibérica de Concesiones", "Levante Sistemas", "Tajo Infraestructuras"),
    "KE": ("Savannah Civil Works", "Rift Valley Systems", "Tana Engineering"),
    "IN": ("Deccan Infratech", "Sahyadri Digital Services", "Ganga Highways"),
    "CA": ("Laurentian Infrastructure Partners", "Maple Civic Systems", "Cascadia Health Facilities"),
}


def vendor_name_for(country: str, number: int) -> str:
    names = VENDOR_NAMES.get(country) or VENDOR_NAMES["GB"]
    suffix = COUNTRIES[country].company_suffix if country in COUNTRIES else "Ltd"
    base = names[number % len(names)]
    # Past the catalogue's length a branch name keeps legal names apart, as real groups' subsidiaries are.
    round_ = number // len(names)
    return f"{base} {suffix}" if round_ == 0 else f"{base} ({['North', 'South', 'East', 'West'][round_ % 4]}) {suffix}"


# --- The demo programme: one national PPP programme, in euro ------------------------------------------------

# The authorities' country; their agreements are in its currency, whichever country a partner comes from.
PROGRAMME_COUNTRY = "IE"
PROGRAMME_CURRENCY = COUNTRIES[PROGRAMME_COUNTRY].currency

# (code, name, contact name, contact email)
AUTHORITIES = (
    ("DEMO-DSA", "Office of Government Digital Services", "Gráinne Doyle", "procurement@digital.gov.example"),
    ("DEMO-HLT", "Health Infrastructure Authority", "Martin Keane", "ppp-unit@health-infra.gov.example"),
    ("DEMO-TRN", "National Roads and Transport Authority", "Fiona Gallagher", "ppp@roads-transport.gov.example"),
    ("DEMO-EDU", "Schools Building Agency", "Padraig Nolan", "tenders@schools-building.gov.example"),
)


@dataclass(frozen=True)
class DemoVendor:
    legal_name: str
    country: str
    registration_number: str  # in the format of the country's company register
    address: str


DEMO_VENDORS = (
    DemoVendor("Brennan & Walsh Construction Ltd", "IE", "CRO 489213", COUNTRIES["IE"].addresses[1]),
    DemoVendor("Liffey Digital Services Ltd", "IE", "CRO 612874", COUNTRIES["IE"].addresses[0]),
    DemoVendor("Corrib Facilities Management Ltd", "IE", "CRO 377150", COUNTRIES["IE"].addresses[2]),
    DemoVendor("Shannonside Civil Engineering Ltd", "IE", "CRO 298411", COUNTRIES["IE"].addresses[3]),
    DemoVendor("Pennine Infrastructure Partners Ltd", "GB", "08412377", COUNTRIES["GB"].addresses[0]),
    DemoVendor("Northgate Data Services Ltd", "GB", "10934521", COUNTRIES["GB"].addresses[3]),
    DemoVendor("Rheinland Bau GmbH", "DE", "HRB 52817 (Köln)", "Rheinauhafen 12\n50678 Köln"),
    DemoVendor("Spree Cloud Systeme GmbH", "DE", "HRB 198342 B", COUNTRIES["DE"].addresses[0]),
    DemoVendor("Rhône Ingénierie SAS", "FR", "SIREN 812 345 679", COUNTRIES["FR"].addresses[0]),
    DemoVendor("Deltawerk Infra B.V.", "NL", "KvK 34127781", COUNTRIES["NL"].addresses[1]),
    DemoVendor("Ibérica de Concesiones S.L.", "ES", "CIF B87412563", COUNTRIES["ES"].addresses[0]),
    # Suspended in the demo: its API users are refused, its history stays.
    DemoVendor("Levante Sistemas S.L.", "ES", "CIF B46219874", COUNTRIES["ES"].addresses[2]),
)

CONTACT_ROLES = ("Project director", "Commercial manager", "Finance lead", "Delivery manager")

# For factories: agreement titles as a procurement office writes them.
AGREEMENT_TITLES = (
    "Regional hospital acute block: design, build, finance and maintain",
    "Southern ring road: design, build, finance and operate",
    "Schools bundle: six post-primary schools",
    "National digital identity service",
    "Primary care centres bundle: design, build, finance and maintain",
    "Government cloud hosting platform",
    "Light rail line extension: design, build and operate",
    "Online tax filing modernisation",
)

# For factories: public bodies that run PPP programmes.
AUTHORITY_NAMES = (
    "Office of Government Digital Services",
    "Health Infrastructure Authority",
    "National Roads and Transport Authority",
    "Schools Building Agency",
    "Regional Water Authority",
    "Department of Justice Estates Office",
)
