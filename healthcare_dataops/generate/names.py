"""Word lists for fake but plausible identities (no real person's data)."""

from __future__ import annotations

MALE_FIRST = (
    "James", "Robert", "John", "Michael", "David", "William", "Richard", "Joseph", "Thomas",
    "Charles", "Daniel", "Matthew", "Anthony", "Mark", "Donald", "Steven", "Paul", "Andrew",
    "Joshua", "Kenneth", "Kevin", "Brian", "George", "Edward", "Ronald", "Timothy", "Jason",
    "Jeffrey", "Ryan", "Jacob", "Gary", "Nicholas", "Eric", "Stephen", "Jonathan", "Larry",
    "Frank", "Scott", "Raymond", "Gregory", "Samuel", "Patrick", "Dennis", "Walter", "Peter",
    "Harold", "Douglas", "Henry", "Carl", "Arthur", "Gerald", "Roger", "Luis", "Jose",
    "Carlos", "Wei", "Hiroshi", "Dmitri", "Tariq", "Kwame", "Rafael", "Sean", "Francis",
)
FEMALE_FIRST = (
    "Mary", "Patricia", "Jennifer", "Linda", "Elizabeth", "Barbara", "Susan", "Jessica",
    "Sarah", "Karen", "Nancy", "Lisa", "Betty", "Margaret", "Sandra", "Ashley", "Dorothy",
    "Kimberly", "Emily", "Donna", "Michelle", "Carol", "Amanda", "Melissa", "Deborah",
    "Stephanie", "Rebecca", "Sharon", "Laura", "Cynthia", "Kathleen", "Amy", "Shirley",
    "Angela", "Helen", "Anna", "Brenda", "Pamela", "Nicole", "Ruth", "Katherine", "Virginia",
    "Joan", "Evelyn", "Judith", "Christine", "Doris", "Gloria", "Maria", "Rosa", "Mei",
    "Yuki", "Olga", "Fatima", "Ama", "Lucia", "Siobhan", "Bridget", "Irene", "Teresa",
)
LAST = (
    "Smith", "Johnson", "Williams", "Brown", "Jones", "Garcia", "Miller", "Davis",
    "Rodriguez", "Martinez", "Hernandez", "Lopez", "Gonzalez", "Wilson", "Anderson",
    "Thomas", "Taylor", "Moore", "Jackson", "Martin", "Lee", "Perez", "Thompson", "White",
    "Harris", "Sanchez", "Clark", "Ramirez", "Lewis", "Robinson", "Walker", "Young", "Allen",
    "King", "Wright", "Scott", "Torres", "Nguyen", "Hill", "Flores", "Green", "Adams",
    "Nelson", "Baker", "Hall", "Rivera", "Campbell", "Mitchell", "Carter", "Roberts",
    "O'Brien", "Sullivan", "Murphy", "Kelly", "McCarthy", "Fitzgerald", "Doherty", "Walsh",
    "Costa", "Silva", "Pereira", "Souza", "Medeiros", "Chen", "Wang", "Li", "Zhang", "Tran",
    "Pham", "Kim", "Park", "Patel", "Shah", "Kowalski", "Nowak", "Russo", "Esposito",
    "Romano", "Cohen", "Levine", "Friedman", "Goldberg", "Okafor", "Mensah", "Abdi",
    "Haddad", "Khoury", "Dubois", "Leblanc", "Gagnon", "Tremblay", "Ivanov", "Petrov",
    "Schmidt", "Muller", "Schneider", "Fischer", "Becker", "Larsen", "Hansen", "Novak",
)
STREETS = (
    "Main", "Elm", "Maple", "Oak", "Pine", "Cedar", "Washington", "Lincoln", "Franklin",
    "Highland", "Pleasant", "Summer", "Winter", "Spring", "Chestnut", "Walnut", "Prospect",
    "Union", "School", "Church", "Centre", "Park", "Water", "Mill", "River", "Lake", "Hill",
    "Forest", "Beacon", "Commonwealth", "Tremont", "Dorchester", "Adams", "Hancock",
    "Lexington", "Concord", "Salem", "Bay State", "Harbor", "Cottage", "Orchard", "Meadow",
)
STREET_SUFFIXES = ("St", "Ave", "Rd", "Ln", "Dr", "Way", "Ct", "Pl", "Ter", "Blvd")
UNIT_KINDS = ("Apt", "Unit", "Suite")

# (city, county, county FIPS, ZIP, latitude, longitude); ZIPs keep their leading zero.
MA_PLACES = (
    ("Boston", "Suffolk County", "25025", "02118", 42.3362, -71.0724),
    ("Chelsea", "Suffolk County", "25025", "02150", 42.3918, -71.0328),
    ("Revere", "Suffolk County", "25025", "02151", 42.4084, -71.0120),
    ("Somerville", "Middlesex County", "25017", "02143", 42.3876, -71.0995),
    ("Cambridge", "Middlesex County", "25017", "02139", 42.3647, -71.1042),
    ("Medford", "Middlesex County", "25017", "02155", 42.4184, -71.1062),
    ("Malden", "Middlesex County", "25017", "02148", 42.4251, -71.0662),
    ("Everett", "Middlesex County", "25017", "02149", 42.4084, -71.0537),
    ("Waltham", "Middlesex County", "25017", "02453", 42.3765, -71.2356),
    ("Newton", "Middlesex County", "25017", "02458", 42.3529, -71.1875),
    ("Lowell", "Middlesex County", "25017", "01852", 42.6334, -71.3162),
    ("Framingham", "Middlesex County", "25017", "01702", 42.2793, -71.4162),
    ("Quincy", "Norfolk County", "25021", "02169", 42.2529, -71.0023),
    ("Braintree", "Norfolk County", "25021", "02184", 42.2079, -71.0040),
    ("Weymouth", "Norfolk County", "25021", "02189", 42.2180, -70.9410),
    ("Brockton", "Plymouth County", "25023", "02301", 42.0834, -71.0184),
    ("Plymouth", "Plymouth County", "25023", "02360", 41.9584, -70.6673),
    ("Lynn", "Essex County", "25009", "01902", 42.4668, -70.9495),
    ("Salem", "Essex County", "25009", "01970", 42.5195, -70.8967),
    ("Lawrence", "Essex County", "25009", "01841", 42.7070, -71.1631),
    ("Haverhill", "Essex County", "25009", "01830", 42.7762, -71.0773),
    ("Worcester", "Worcester County", "25027", "01604", 42.2626, -71.8023),
    ("Springfield", "Hampden County", "25013", "01109", 42.1015, -72.5898),
    ("New Bedford", "Bristol County", "25005", "02740", 41.6362, -70.9342),
    ("Fall River", "Bristol County", "25005", "02720", 41.7015, -71.1550),
    ("Taunton", "Bristol County", "25005", "02780", 41.9001, -71.0898),
    ("Barnstable", "Barnstable County", "25001", "02601", 41.7003, -70.3002),
    ("Pittsfield", "Berkshire County", "25003", "01201", 42.4501, -73.2454),
    ("Northampton", "Hampshire County", "25015", "01060", 42.3251, -72.6412),
    ("Greenfield", "Franklin County", "25011", "01301", 42.5876, -72.5995),
)
BIRTHPLACES = (
    "Boston Massachusetts US", "Worcester Massachusetts US", "Springfield Massachusetts US",
    "Lowell Massachusetts US", "Providence Rhode Island US", "Hartford Connecticut US",
    "New York New York US", "Portland Maine US", "San Juan Puerto Rico PR",
    "Santo Domingo Distrito Nacional DO", "Praia Santiago CV", "Lisbon Lisboa PT",
    "Port-au-Prince Ouest HT", "Ho Chi Minh City Ho Chi Minh VN", "Guangzhou Guangdong CN",
    "Dublin Leinster IE", "Kingston Kingston JM", "Manchester New Hampshire US",
)
RACES = ("white", "black", "asian", "hispanic", "native", "other")
RACE_WEIGHTS = (0.68, 0.12, 0.08, 0.06, 0.01, 0.05)
MARITAL = ("M", "S", "D", "W")
SMOKING = ("Never smoker", "Former smoker", "Every day smoker", "Some day smoker")
SMOKING_WEIGHTS = (0.45, 0.38, 0.12, 0.05)
