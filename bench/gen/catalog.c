/* catalog.c — the generator's static reference data: cities, ISP address ranges, offices,
 * names, Microsoft first-party applications with their well-known app ids, SaaS and
 * line-of-business app names, AADSTS error codes with Entra's failure reasons, user
 * agents, client types, Conditional Access policies and MFA methods.
 *
 * Everything is data so that realism can be tuned without touching logic. App ids,
 * error codes and reasons are the public values Entra ID logs; ISP ranges and ASNs are
 * plausible allocations of large carriers, chosen for realistic clustering, not an
 * authoritative geo-IP table. Organisation names are Microsoft's fictitious ones.
 */
#include "bench/gen/gen_int.h"

#include <string.h>


/* ---- cities: name, state, country, latitude, longitude, UTC offset in November ---- */

const gen_city gen_cities[] = {
    {"Seattle", "Washington", "US", "47.6062", "-122.3321", -480},
    {"Redmond", "Washington", "US", "47.674", "-122.1215", -480},
    {"Bellevue", "Washington", "US", "47.6101", "-122.2015", -480},
    {"Portland", "Oregon", "US", "45.5152", "-122.6784", -480},
    {"San Francisco", "California", "US", "37.7749", "-122.4194", -480},
    {"Los Angeles", "California", "US", "34.0522", "-118.2437", -480},
    {"Denver", "Colorado", "US", "39.7392", "-104.9903", -420},
    {"Austin", "Texas", "US", "30.2672", "-97.7431", -360},
    {"Dallas", "Texas", "US", "32.7767", "-96.797", -360},
    {"Chicago", "Illinois", "US", "41.8781", "-87.6298", -360},
    {"New York", "New York", "US", "40.7128", "-74.006", -300},
    {"Jersey City", "New Jersey", "US", "40.7178", "-74.0431", -300},
    {"Boston", "Massachusetts", "US", "42.3601", "-71.0589", -300},
    {"Atlanta", "Georgia", "US", "33.749", "-84.388", -300},
    {"Toronto", "Ontario", "CA", "43.6532", "-79.3832", -300},
    {"Mississauga", "Ontario", "CA", "43.589", "-79.6441", -300},
    {"London", "England", "GB", "51.5074", "-0.1278", 0},
    {"Reading", "England", "GB", "51.4543", "-0.9781", 0},
    {"Manchester", "England", "GB", "53.4808", "-2.2426", 0},
    {"Edinburgh", "Scotland", "GB", "55.9533", "-3.1883", 0},
    {"Dublin", "Dublin", "IE", "53.3498", "-6.2603", 0},
    {"Cork", "Cork", "IE", "51.8985", "-8.4756", 0},
    {"Amsterdam", "Noord-Holland", "NL", "52.3676", "4.9041", 60},
    {"Utrecht", "Utrecht", "NL", "52.0907", "5.1214", 60},
    {"Frankfurt am Main", "Hessen", "DE", "50.1109", "8.6821", 60},
    {"München", "Bayern", "DE", "48.1351", "11.582", 60},
    {"Berlin", "Berlin", "DE", "52.52", "13.405", 60},
    {"Paris", "Île-de-France", "FR", "48.8566", "2.3522", 60},
    {"Lyon", "Auvergne-Rhône-Alpes", "FR", "45.764", "4.8357", 60},
    {"Bengaluru", "Karnataka", "IN", "12.9716", "77.5946", 330},
    {"Hyderabad", "Telangana", "IN", "17.385", "78.4867", 330},
    {"Pune", "Maharashtra", "IN", "18.5204", "73.8567", 330},
    {"Singapore", "Singapore", "SG", "1.3521", "103.8198", 480},
    {"Tokyo", "Tokyo", "JP", "35.6762", "139.6503", 540},
    {"Yokohama", "Kanagawa", "JP", "35.4437", "139.638", 540},
    {"Sydney", "New South Wales", "AU", "-33.8688", "151.2093", 660},
    {"Melbourne", "Victoria", "AU", "-37.8136", "144.9631", 660},
    {"São Paulo", "São Paulo", "BR", "-23.5505", "-46.6333", -180},
    {"Campinas", "São Paulo", "BR", "-22.9099", "-47.0626", -180},
    /* cloud regions and hosting (world.c: people live in the cities above Boydton) */
    {"Boydton", "Virginia", "US", "36.6676", "-78.3875", -300},
    {"Ashburn", "Virginia", "US", "39.0438", "-77.4874", -300},
    {"Des Moines", "Iowa", "US", "41.5868", "-93.625", -360},
    {"San Antonio", "Texas", "US", "29.4241", "-98.4936", -360},
    {"The Dalles", "Oregon", "US", "45.5946", "-121.1787", -480},
    {"Middenmeer", "Noord-Holland", "NL", "52.8067", "4.9996", 60},
    {"Clifton", "New Jersey", "US", "40.8584", "-74.1638", -300},
    {"Roubaix", "Hauts-de-France", "FR", "50.6942", "3.1746", 60},
    {"Falkenstein", "Sachsen", "DE", "50.4779", "12.3713", 60},
    /* elsewhere (travel, attackers) */
    {"Moscow", "Moscow", "RU", "55.7558", "37.6173", 180},
    {"Lagos", "Lagos", "NG", "6.5244", "3.3792", 60},
    {"Ho Chi Minh City", "Ho Chi Minh", "VN", "10.8231", "106.6297", 420},
    {"Bucharest", "Bucuresti", "RO", "44.4268", "26.1025", 120},
    {"Istanbul", "Istanbul", "TR", "41.0082", "28.9784", 180},
    {"Mexico City", "Ciudad de México", "MX", "19.4326", "-99.1332", -360},
    {"Johannesburg", "Gauteng", "ZA", "-26.2041", "28.0473", 120},
    {"Dubai", "Dubai", "AE", "25.2048", "55.2708", 240},
};
const size_t gen_n_cities = SP_ARRAY_LEN(gen_cities);

#define IP4(a, b, c, d) (((uint32_t)(a) << 24) | ((uint32_t)(b) << 16) | ((uint32_t)(c) << 8) | (uint32_t)(d))

/* cc, carrier, ASN, kind, v6, prefix bits, base, city (cloud/hosting only) */
const gen_isp gen_isps[] = {
    {"US", "Comcast", 7922, IPK_HOME, 0, 8, IP4(73, 0, 0, 0), NULL},
    {"US", "Comcast", 7922, IPK_HOME, 1, 20, 0x26010000u, NULL},
    {"US", "AT&T", 7018, IPK_HOME, 0, 10, IP4(99, 0, 0, 0), NULL},
    {"US", "Charter", 20115, IPK_HOME, 0, 12, IP4(24, 160, 0, 0), NULL},
    {"US", "T-Mobile USA", 21928, IPK_MOBILE, 0, 13, IP4(172, 56, 0, 0), NULL},
    {"US", "T-Mobile USA", 21928, IPK_MOBILE, 1, 28, 0x2607fb90u, NULL},
    {"US", "Verizon Wireless", 6167, IPK_MOBILE, 0, 10, IP4(174, 192, 0, 0), NULL},
    {"CA", "Rogers", 812, IPK_HOME, 0, 11, IP4(99, 224, 0, 0), NULL},
    {"CA", "Bell Canada", 577, IPK_HOME, 0, 13, IP4(70, 48, 0, 0), NULL},
    {"CA", "Rogers Wireless", 812, IPK_MOBILE, 0, 14, IP4(72, 136, 0, 0), NULL},
    {"GB", "BT", 2856, IPK_HOME, 0, 10, IP4(86, 128, 0, 0), NULL},
    {"GB", "BT", 2856, IPK_HOME, 1, 26, 0x2a0023c0u, NULL},
    {"GB", "Virgin Media", 5089, IPK_HOME, 0, 14, IP4(82, 0, 0, 0), NULL},
    {"GB", "EE", 12576, IPK_MOBILE, 0, 16, IP4(31, 94, 0, 0), NULL},
    {"IE", "Eir", 5466, IPK_HOME, 0, 13, IP4(86, 40, 0, 0), NULL},
    {"IE", "Vodafone Ireland", 15502, IPK_MOBILE, 0, 16, IP4(89, 19, 0, 0), NULL},
    {"NL", "KPN", 1136, IPK_HOME, 0, 12, IP4(77, 160, 0, 0), NULL},
    {"NL", "KPN Mobile", 1136, IPK_MOBILE, 0, 16, IP4(62, 140, 0, 0), NULL},
    {"DE", "Deutsche Telekom", 3320, IPK_HOME, 0, 10, IP4(79, 192, 0, 0), NULL},
    {"DE", "Deutsche Telekom", 3320, IPK_HOME, 1, 19, 0x20030000u, NULL},
    {"DE", "Vodafone Germany", 3209, IPK_HOME, 0, 12, IP4(88, 64, 0, 0), NULL},
    {"DE", "Telefonica Germany", 6805, IPK_MOBILE, 0, 13, IP4(176, 0, 0, 0), NULL},
    {"FR", "Orange", 3215, IPK_HOME, 0, 9, IP4(90, 0, 0, 0), NULL},
    {"FR", "Free", 12322, IPK_HOME, 0, 11, IP4(82, 64, 0, 0), NULL},
    {"FR", "Bouygues Telecom", 5410, IPK_MOBILE, 0, 14, IP4(176, 128, 0, 0), NULL},
    {"IN", "Reliance Jio", 55836, IPK_MOBILE, 0, 11, IP4(49, 32, 0, 0), NULL},
    {"IN", "Reliance Jio", 55836, IPK_MOBILE, 1, 22, 0x24094000u, NULL},
    {"IN", "Bharti Airtel", 24560, IPK_HOME, 0, 12, IP4(122, 160, 0, 0), NULL},
    {"IN", "ACT Fibernet", 24309, IPK_HOME, 0, 14, IP4(106, 51, 0, 0), NULL},
    {"SG", "SingNet", 3758, IPK_HOME, 0, 15, IP4(116, 14, 0, 0), NULL},
    {"SG", "Singtel Mobile", 9506, IPK_MOBILE, 0, 15, IP4(111, 65, 0, 0), NULL},
    {"JP", "NTT OCN", 4713, IPK_HOME, 0, 10, IP4(153, 128, 0, 0), NULL},
    {"JP", "NTT Docomo", 9605, IPK_MOBILE, 0, 12, IP4(1, 66, 0, 0), NULL},
    {"AU", "Telstra", 1221, IPK_HOME, 0, 12, IP4(58, 160, 0, 0), NULL},
    {"AU", "Telstra Mobile", 1221, IPK_MOBILE, 0, 11, IP4(1, 128, 0, 0), NULL},
    {"BR", "Telefonica Brasil", 26599, IPK_HOME, 0, 13, IP4(177, 0, 0, 0), NULL},
    {"BR", "Claro Brasil", 28573, IPK_MOBILE, 0, 13, IP4(179, 216, 0, 0), NULL},
    /* clouds and CI (global) */
    {NULL, "Microsoft Azure", 8075, IPK_CLOUD, 0, 11, IP4(20, 0, 0, 0), "Boydton"},
    {NULL, "Microsoft Azure", 8075, IPK_CLOUD, 0, 12, IP4(40, 112, 0, 0), "Middenmeer"},
    {NULL, "Amazon AWS", 16509, IPK_CLOUD, 0, 11, IP4(54, 64, 0, 0), "Ashburn"},
    {NULL, "Google Cloud", 396982, IPK_CLOUD, 0, 10, IP4(34, 64, 0, 0), "The Dalles"},
    {NULL, "Microsoft Azure", 8075, IPK_CI, 0, 16, IP4(4, 148, 0, 0), "San Antonio"},
    {NULL, "Microsoft Azure", 8075, IPK_CI, 0, 14, IP4(20, 36, 0, 0), "Boydton"},
    {NULL, "Amazon AWS", 16509, IPK_CI, 0, 12, IP4(3, 208, 0, 0), "Ashburn"},
    {NULL, "Microsoft Azure", 8075, IPK_AZURE, 0, 12, IP4(40, 64, 0, 0), "Des Moines"},
    {NULL, "Microsoft Azure", 8075, IPK_AZURE, 0, 12, IP4(52, 160, 0, 0), "Boydton"},
    {NULL, "Microsoft Azure", 8075, IPK_AZURE, 0, 13, IP4(20, 50, 0, 0), "Middenmeer"},
    {NULL, "M247", 9009, IPK_VPN, 0, 18, IP4(185, 156, 0, 0), "Amsterdam"},
    {NULL, "DigitalOcean", 14061, IPK_VPN, 0, 16, IP4(159, 203, 0, 0), "Clifton"},
    {NULL, "OVH", 16276, IPK_VPN, 0, 16, IP4(51, 68, 0, 0), "Roubaix"},
    {NULL, "Hetzner Online", 24940, IPK_THREAT, 0, 15, IP4(95, 216, 0, 0), "Falkenstein"},
    {NULL, "DigitalOcean", 14061, IPK_THREAT, 0, 16, IP4(167, 99, 0, 0), "Clifton"},
    {NULL, "M247", 9009, IPK_THREAT, 0, 18, IP4(193, 29, 0, 0), "Bucharest"},
    /* residential and mobile networks far from every office (travel, attackers who
     * rent residential proxies); no user lives there, so only scenarios use them */
    {"RU", "Rostelecom", 12389, IPK_FOREIGN, 0, 12, IP4(95, 24, 0, 0), "Moscow"},
    {"NG", "MTN Nigeria", 29465, IPK_FOREIGN, 0, 16, IP4(102, 89, 0, 0), "Lagos"},
    {"VN", "Viettel", 7552, IPK_FOREIGN, 0, 12, IP4(27, 64, 0, 0), "Ho Chi Minh City"},
    {"RO", "RCS & RDS", 8708, IPK_FOREIGN, 0, 13, IP4(86, 120, 0, 0), "Bucharest"},
    {"TR", "Turk Telekom", 9121, IPK_FOREIGN, 0, 12, IP4(88, 224, 0, 0), "Istanbul"},
    {"MX", "Telmex", 8151, IPK_FOREIGN, 0, 12, IP4(189, 128, 0, 0), "Mexico City"},
    {"ZA", "Vodacom", 29975, IPK_FOREIGN, 0, 14, IP4(41, 0, 0, 0), "Johannesburg"},
    {"AE", "Etisalat", 5384, IPK_FOREIGN, 0, 13, IP4(94, 200, 0, 0), "Dubai"},
};
const size_t gen_n_isps = SP_ARRAY_LEN(gen_isps);

/* Where federated workload identities sign in from: the NAT egress of the tenant's
 * self-hosted CI runners and Kubernetes clusters (IPv4 and IPv6). The ci_egress_ranges
 * watchlist lists exactly these, and every background federated sign-in comes from
 * inside them. The ISP named gives ASN and city. */
const gen_fed_range gen_fed_ranges[] = {
    {"4.148.96.0/24", "GitHub Actions self-hosted runners (NAT, South Central US)", FED_GITHUB, "Microsoft Azure", "San Antonio"},
    {"2603:1030:20c:3::/64", "GitHub Actions self-hosted runners (IPv6, South Central US)", FED_GITHUB, "Microsoft Azure", "San Antonio"},
    {"20.36.134.0/25", "Azure DevOps agent pool (NAT, East US 2)", FED_ADO, "Microsoft Azure", "Boydton"},
    {"3.208.44.0/26", "Azure DevOps agent pool (NAT, AWS us-east-1)", FED_ADO, "Amazon AWS", "Ashburn"},
    {"2a01:111:f403:c10::/64", "Azure DevOps agent pool (IPv6, West Europe)", FED_ADO, "Microsoft Azure", "Middenmeer"},
    {"52.160.40.0/27", "AKS egress (prod clusters, East US)", FED_AKS, "Microsoft Azure", "Boydton"},
    {"40.64.8.0/28", "AKS egress (platform cluster, Central US)", FED_AKS, "Microsoft Azure", "Des Moines"},
};
const size_t gen_n_fed_ranges = SP_ARRAY_LEN(gen_fed_ranges);

/* Offices: where users work, named network location, UPN suffix, users per mille. */
const gen_office_def gen_offices[] = {
    {"Seattle", "HQ Redmond Campus", "contoso.com", 230},
    {"New York", "NYC Office", "contoso.com", 130},
    {"Chicago", "Chicago Office", "contoso.com", 55},
    {"Austin", "Austin Office", "tailwindtraders.com", 50}, /* an acquired company */
    {"Toronto", "Toronto Office", "contoso.com", 30},
    {"London", "London Office", "contoso.co.uk", 120},
    {"Dublin", "Dublin Office", "contoso.co.uk", 30},
    {"Frankfurt am Main", "Frankfurt Office", "contoso.de", 60},
    {"Paris", "Paris Office", "contoso.fr", 40},
    {"Amsterdam", "Amsterdam Office", "contoso.nl", 30},
    {"Bengaluru", "Bengaluru Development Center", "contoso.com", 110},
    {"Singapore", "Singapore Office", "contoso.com", 30},
    {"Tokyo", "Tokyo Office", "contoso.com", 20},
    {"Sydney", "Sydney Office", "contoso.com", 30},
    {"São Paulo", "Sao Paulo Office", "contoso.com", 35},
};
const size_t gen_n_offices = SP_ARRAY_LEN(gen_offices);

const gen_name gen_first_names[] = {
    {"James", "james"}, {"Mary", "mary"}, {"Robert", "robert"}, {"Patricia", "patricia"},
    {"John", "john"}, {"Jennifer", "jennifer"}, {"Michael", "michael"}, {"Linda", "linda"},
    {"David", "david"}, {"Elizabeth", "elizabeth"}, {"William", "william"}, {"Barbara", "barbara"},
    {"Richard", "richard"}, {"Susan", "susan"}, {"Joseph", "joseph"}, {"Jessica", "jessica"},
    {"Thomas", "thomas"}, {"Sarah", "sarah"}, {"Christopher", "christopher"}, {"Karen", "karen"},
    {"Daniel", "daniel"}, {"Lisa", "lisa"}, {"Matthew", "matthew"}, {"Nancy", "nancy"},
    {"Anthony", "anthony"}, {"Sandra", "sandra"}, {"Mark", "mark"}, {"Ashley", "ashley"},
    {"Steven", "steven"}, {"Emily", "emily"}, {"Andrew", "andrew"}, {"Michelle", "michelle"},
    {"Joshua", "joshua"}, {"Amanda", "amanda"}, {"Kevin", "kevin"}, {"Melissa", "melissa"},
    {"Brian", "brian"}, {"Rebecca", "rebecca"}, {"Timothy", "timothy"}, {"Laura", "laura"},
    {"Oliver", "oliver"}, {"Amelia", "amelia"}, {"Harry", "harry"}, {"Isla", "isla"},
    {"George", "george"}, {"Ava", "ava"}, {"Noah", "noah"}, {"Olivia", "olivia"},
    {"Liam", "liam"}, {"Sophie", "sophie"}, {"Aoife", "aoife"}, {"Seán", "sean"},
    {"Niamh", "niamh"}, {"Lukas", "lukas"}, {"Jürgen", "juergen"}, {"Anna", "anna"},
    {"Maximilian", "maximilian"}, {"Lena", "lena"}, {"Jörg", "joerg"}, {"Zoë", "zoe"},
    {"Émilie", "emilie"}, {"Hélène", "helene"}, {"François", "francois"}, {"Camille", "camille"},
    {"Léa", "lea"}, {"Inès", "ines"}, {"Daan", "daan"}, {"Sanne", "sanne"},
    {"Priya", "priya"}, {"Rahul", "rahul"}, {"Ananya", "ananya"}, {"Arjun", "arjun"},
    {"Aditya", "aditya"}, {"Kavya", "kavya"}, {"Vikram", "vikram"}, {"Lakshmi", "lakshmi"},
    {"Rohan", "rohan"}, {"Sneha", "sneha"}, {"Wei", "wei"}, {"Mei", "mei"},
    {"Jun", "jun"}, {"Hiroshi", "hiroshi"}, {"Yuki", "yuki"}, {"Haruto", "haruto"},
    {"Sakura", "sakura"}, {"Min-jun", "minjun"}, {"Ji-woo", "jiwoo"}, {"João", "joao"},
    {"Maria", "maria"}, {"Ana", "ana"}, {"Lucas", "lucas"}, {"Gabriel", "gabriel"},
    {"Beatriz", "beatriz"}, {"Mateus", "mateus"}, {"José", "jose"}, {"Sofía", "sofia"},
    {"Mohammed", "mohammed"}, {"Fatima", "fatima"}, {"Omar", "omar"}, {"Aisha", "aisha"},
    {"Chen", "chen"}, {"Ethan", "ethan"}, {"Grace", "grace"}, {"Ryan", "ryan"},
    {"Chloe", "chloe"}, {"Nathan", "nathan"}, {"Hannah", "hannah"}, {"Samuel", "samuel"},
    {"Björn", "bjorn"}, {"Søren", "soren"}, {"Ingrid", "ingrid"}, {"Mateo", "mateo"},
};
const size_t gen_n_first_names = SP_ARRAY_LEN(gen_first_names);

const gen_name gen_last_names[] = {
    {"Smith", "smith"}, {"Johnson", "johnson"}, {"Williams", "williams"}, {"Brown", "brown"},
    {"Jones", "jones"}, {"Garcia", "garcia"}, {"Miller", "miller"}, {"Davis", "davis"},
    {"Rodriguez", "rodriguez"}, {"Martinez", "martinez"}, {"Hernandez", "hernandez"},
    {"Lopez", "lopez"}, {"Gonzalez", "gonzalez"}, {"Wilson", "wilson"}, {"Anderson", "anderson"},
    {"Thomas", "thomas"}, {"Taylor", "taylor"}, {"Moore", "moore"}, {"Jackson", "jackson"},
    {"Martin", "martin"}, {"Lee", "lee"}, {"Perez", "perez"}, {"Thompson", "thompson"},
    {"White", "white"}, {"Harris", "harris"}, {"Sanchez", "sanchez"}, {"Clark", "clark"},
    {"Ramirez", "ramirez"}, {"Lewis", "lewis"}, {"Robinson", "robinson"}, {"Walker", "walker"},
    {"Young", "young"}, {"Allen", "allen"}, {"King", "king"}, {"Wright", "wright"},
    {"Scott", "scott"}, {"Torres", "torres"}, {"Nguyen", "nguyen"}, {"Hill", "hill"},
    {"Flores", "flores"}, {"Green", "green"}, {"Adams", "adams"}, {"Nelson", "nelson"},
    {"Baker", "baker"}, {"Hall", "hall"}, {"Rivera", "rivera"}, {"Campbell", "campbell"},
    {"Mitchell", "mitchell"}, {"Carter", "carter"}, {"Roberts", "roberts"},
    {"O'Brien", "obrien"}, {"O'Connor", "oconnor"}, {"Murphy", "murphy"}, {"Kelly", "kelly"},
    {"Byrne", "byrne"}, {"Walsh", "walsh"}, {"Evans", "evans"}, {"Hughes", "hughes"},
    {"Müller", "mueller"}, {"Schmidt", "schmidt"}, {"Schneider", "schneider"},
    {"Fischer", "fischer"}, {"Weber", "weber"}, {"Schäfer", "schaefer"}, {"Becker", "becker"},
    {"Wagner", "wagner"}, {"Hoffmann", "hoffmann"}, {"Koch", "koch"}, {"Dubois", "dubois"},
    {"Lefèvre", "lefevre"}, {"Moreau", "moreau"}, {"Laurent", "laurent"}, {"Girard", "girard"},
    {"de Vries", "devries"}, {"van den Berg", "vandenberg"}, {"Jansen", "jansen"},
    {"Bakker", "bakker"}, {"Sharma", "sharma"}, {"Patel", "patel"}, {"Reddy", "reddy"},
    {"Iyer", "iyer"}, {"Gupta", "gupta"}, {"Singh", "singh"}, {"Kumar", "kumar"},
    {"Nair", "nair"}, {"Rao", "rao"}, {"Menon", "menon"}, {"Tan", "tan"}, {"Lim", "lim"},
    {"Wong", "wong"}, {"Ng", "ng"}, {"Chen", "chen"}, {"Wang", "wang"}, {"Zhang", "zhang"},
    {"Liu", "liu"}, {"Sato", "sato"}, {"Suzuki", "suzuki"}, {"Takahashi", "takahashi"},
    {"Tanaka", "tanaka"}, {"Watanabe", "watanabe"}, {"Kim", "kim"}, {"Park", "park"},
    {"Silva", "silva"}, {"Santos", "santos"}, {"Oliveira", "oliveira"}, {"Souza", "souza"},
    {"Pereira", "pereira"}, {"Costa", "costa"}, {"Almeida", "almeida"}, {"Ferreira", "ferreira"},
    {"Nielsen", "nielsen"}, {"Johansson", "johansson"}, {"Andersson", "andersson"},
    {"Kowalski", "kowalski"}, {"Nowak", "nowak"}, {"Novák", "novak"}, {"Rossi", "rossi"},
    {"Russo", "russo"}, {"Ferrari", "ferrari"}, {"Khan", "khan"}, {"Ali", "ali"},
    {"Hassan", "hassan"}, {"Cohen", "cohen"}, {"Levi", "levi"}, {"MacDonald", "macdonald"},
};
const size_t gen_n_last_names = SP_ARRAY_LEN(gen_last_names);

/* Resources (token audiences). Index 0 must stay Microsoft Graph (GEN_RES_GRAPH). */
const gen_resource_def gen_resources[] = {
    {"Microsoft Graph", "00000003-0000-0000-c000-000000000000"},
    {"Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000"},
    {"Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000"},
    {"Windows Azure Service Management API", "797f4846-ba00-4fd7-ba43-dac1f8f63013"},
    {"Microsoft Teams Services", "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe"},
    {"Windows Azure Active Directory", "00000002-0000-0000-c000-000000000000"},
    {"Azure Key Vault", "cfa8b339-82a2-471a-a3c9-0fc0be7a4093"},
    {"Azure Storage", "e406a681-f3d4-42a8-90b6-c2b029497af1"},
    {"Power BI Service", "00000009-0000-0000-c000-000000000000"},
    {"Azure DevOps", "499b84ac-1321-427f-aa17-267ca6975798"},
    {"Microsoft Intune", "0000000a-0000-0000-c000-000000000000"},
    {"Azure SQL Database", "022907d3-0f1b-48f7-badc-1ba6abab6d66"},
    {"Log Analytics API", "ca7f3f0b-7d91-482c-8e09-c5d840d0eac5"},
    {"Office 365 Management APIs", "c5393580-f805-4401-95e8-94b7a6ef2fc2"},
    {"Dataverse", "00000007-0000-0000-c000-000000000000"},
    {"Azure Data Explorer", "2746ea77-4702-4b45-80ca-3c97e680e8b7"},
    {"WindowsDefenderATP", "fc780465-2017-40d4-a0c5-307022471b92"},
    {"Microsoft Office 365 Portal", "00000006-0000-0ff1-ce00-000000000000"},
};
const size_t gen_n_resources = SP_ARRAY_LEN(gen_resources);
#define R_GRAPH 0
#define R_EXO 1
#define R_SPO 2
#define R_ARM 3
#define R_TEAMS 4
#define R_AAD 5
#define R_PBI 8
#define R_ADO 9
#define R_INTUNE 10
#define R_PORTAL 17
#define R_SELF 255 /* a tenant app that is its own resource */

/* Client applications: name, well-known id, who uses it, owner, resource, weights
 * (interactive, non-interactive). */
const gen_app_def gen_apps[] = {
    {"Microsoft Teams", "1fec8e78-bce4-4aaf-ab1b-5451cc387264", APP_RICH | APP_MOBILE, OWN_MICROSOFT, R_TEAMS, 900, 2600},
    {"Microsoft Office", "d3590ed6-52b3-4102-aeff-aad2292ab01c", APP_RICH, OWN_MICROSOFT, R_EXO, 800, 2200},
    {"Office 365 Exchange Online", "00000002-0000-0ff1-ce00-000000000000", APP_WEB | APP_LEGACY, OWN_MICROSOFT, R_EXO, 420, 500},
    {"One Outlook Web", "9199bf20-a13f-4107-85dc-02114787ef48", APP_WEB, OWN_MICROSOFT, R_EXO, 380, 650},
    {"OfficeHome", "4765445b-32c6-49b0-83e6-1d93765276ca", APP_WEB, OWN_MICROSOFT, R_PORTAL, 420, 300},
    {"Outlook Mobile", "27922004-5251-4030-b22d-91ecd9a37ea4", APP_MOBILE, OWN_MICROSOFT, R_EXO, 300, 1300},
    {"Office 365 SharePoint Online", "00000003-0000-0ff1-ce00-000000000000", APP_WEB, OWN_MICROSOFT, R_SPO, 360, 500},
    {"Microsoft Teams Web Client", "5e3ce6c0-2b1f-4285-8d4b-75ee78787346", APP_WEB, OWN_MICROSOFT, R_TEAMS, 160, 320},
    {"OneDrive SyncEngine", "ab9b8c07-8f02-4f72-87fa-80105867a763", APP_RICH, OWN_MICROSOFT, R_SPO, 120, 1500},
    {"Microsoft Authentication Broker", "29d9ed98-a469-4536-ade2-f981bc1d605e", APP_RICH | APP_MOBILE, OWN_MICROSOFT, R_AAD, 220, 800},
    {"Windows Sign In", "38aa3b87-a06d-4817-b275-7a316988d93b", APP_RICH, OWN_MICROSOFT, R_AAD, 300, 120},
    {"Microsoft Edge", "ecd6b820-32c2-49b6-98a6-444530e5a77a", APP_RICH, OWN_MICROSOFT, R_GRAPH, 110, 520},
    {"Azure Portal", "c44b4083-3bb0-49c1-b47d-974e53cbdf3c", APP_WEB | APP_ADMIN, OWN_MICROSOFT, R_ARM, 130, 300},
    {"Microsoft Azure CLI", "04b07795-8ddb-461a-bbee-02f9e1bf7b46", APP_CLI | APP_ADMIN, OWN_MICROSOFT, R_ARM, 45, 160},
    {"Microsoft Azure PowerShell", "1950a258-227b-4e31-a9cf-717495945fc2", APP_CLI | APP_ADMIN, OWN_MICROSOFT, R_ARM, 28, 90},
    {"Azure Active Directory PowerShell", "1b730954-1685-4b74-9bfd-dac224a7b894", APP_CLI | APP_ADMIN, OWN_MICROSOFT, R_AAD, 6, 10},
    {"Microsoft Exchange REST API Based Powershell", "fb78d390-0c51-40cd-8e17-fdbfab77341b", APP_CLI | APP_ADMIN, OWN_MICROSOFT, R_EXO, 8, 14},
    {"Microsoft Graph Command Line Tools", "14d82eec-204b-4c2f-b7e8-296a70dab67e", APP_CLI, OWN_MICROSOFT, R_GRAPH, 15, 30},
    {"Graph Explorer", "de8bc8b5-d9f9-48b1-a8ad-b748da725064", APP_WEB, OWN_MICROSOFT, R_GRAPH, 10, 10},
    {"Visual Studio Code", "aebc6443-996d-45c2-90f0-388ff96faa56", APP_RICH, OWN_MICROSOFT, R_ARM, 40, 150},
    {"Visual Studio", "872cd9fa-d31f-45e0-9eab-6e460a02d1f1", APP_RICH, OWN_MICROSOFT, R_ADO, 30, 120},
    {"Azure DevOps", "499b84ac-1321-427f-aa17-267ca6975798", APP_WEB, OWN_MICROSOFT, R_ADO, 60, 150},
    {"Power BI Desktop", "7f67af8a-fedc-4b08-8b4e-37c4d127b6cf", APP_RICH, OWN_MICROSOFT, R_PBI, 30, 60},
    {"Microsoft Power BI", "871c010f-5e61-4fb1-83ac-98610a7e9110", APP_WEB, OWN_MICROSOFT, R_PBI, 60, 90},
    {"Microsoft Intune Company Portal", "9ba1a5c7-f17a-4de9-a1f1-6178c8d51223", APP_RICH | APP_MOBILE, OWN_MICROSOFT, R_INTUNE, 40, 200},
    {"My Signins", "19db86c3-b2b9-44cc-b339-36da233a3be2", APP_WEB, OWN_MICROSOFT, R_GRAPH, 20, 5},
    {"My Profile", "8c59ead7-d703-4a27-9e55-c96a0054c8d2", APP_WEB, OWN_MICROSOFT, R_GRAPH, 8, 2},
    {"My Apps", "2793995e-0a7d-40d7-bd35-6968ba142197", APP_WEB, OWN_MICROSOFT, R_GRAPH, 30, 10},
    {"Microsoft Stream Portal", "cf53fce8-def6-4aeb-8d30-b158e7b1cf83", APP_WEB, OWN_MICROSOFT, R_SPO, 10, 10},
    {"Microsoft Forms", "c9a559d2-7aab-4f13-a6ed-e7e9c52aec87", APP_WEB, OWN_MICROSOFT, R_SPO, 20, 15},
    {"Microsoft To-Do client", "22098786-6e16-43cc-a27d-191a01a1e3b5", APP_RICH | APP_MOBILE, OWN_MICROSOFT, R_EXO, 15, 80},
    {"Microsoft Whiteboard Client", "57336123-6e14-4acc-8dcf-287b6088aa28", APP_RICH, OWN_MICROSOFT, R_SPO, 5, 20},
    {"Windows Search", "26a7ee05-5602-4d76-a7ba-eae8b7b67941", APP_RICH, OWN_MICROSOFT, R_GRAPH, 20, 200},
    {"Microsoft Bing Search", "cf36b471-5b44-428c-9ce7-313bf84528de", APP_WEB, OWN_MICROSOFT, R_GRAPH, 15, 60},
    {"Microsoft Authenticator App", "4813382a-8fa7-425e-ab75-3b753aab3abb", APP_MOBILE, OWN_MICROSOFT, R_AAD, 30, 50},
    {"Microsoft 365 Security and Compliance Center", "80ccca67-54bd-44ab-8625-4b79c4dc7775", APP_WEB | APP_ADMIN, OWN_MICROSOFT, R_GRAPH, 10, 15},
    {"OneNote", "2d4d3d8e-2be3-4bef-9f87-7875a61c29de", APP_RICH, OWN_MICROSOFT, R_SPO, 20, 80},
    {"SharePoint Online Web Client Extensibility", "08e18876-6177-487e-b8b5-cf950c1e598c", APP_WEB, OWN_MICROSOFT, R_GRAPH, 40, 300},
    {"Microsoft Office 365 Portal", "00000006-0000-0ff1-ce00-000000000000", APP_WEB, OWN_MICROSOFT, R_PORTAL, 50, 40},
    {"Azure Virtual Desktop", "9cdead84-a844-4324-93f2-b2e6bb768d07", APP_RICH, OWN_MICROSOFT, R_GRAPH, 20, 80},
    {"Microsoft Remote Desktop", "a4a365df-50f1-4397-bc59-1a1564b8bb9c", APP_RICH, OWN_MICROSOFT, R_GRAPH, 20, 40},
    {"Office UWP PWA", "0ec893e0-5785-4de6-99da-4ed124e5296c", APP_WEB, OWN_MICROSOFT, R_PORTAL, 30, 60},
    {"Azure Kubernetes Service AAD Client", "80faf920-1908-4b52-b5ef-a8e7bedfc67a", APP_CLI, OWN_MICROSOFT, R_ARM, 5, 20},
    {"Microsoft Azure Information Protection", "c00e9d32-3c8d-4a7d-832b-029040e7db99", APP_RICH, OWN_MICROSOFT, R_GRAPH, 5, 20},
    /* SaaS gallery applications: ids are per-tenant enterprise apps */
    {"Salesforce", NULL, APP_WEB, OWN_VENDOR, R_SELF, 60, 20},
    {"ServiceNow", NULL, APP_WEB, OWN_VENDOR, R_SELF, 55, 20},
    {"Workday", NULL, APP_WEB, OWN_VENDOR, R_SELF, 45, 5},
    {"SAP Concur", NULL, APP_WEB, OWN_VENDOR, R_SELF, 25, 5},
    {"Zoom", NULL, APP_WEB | APP_RICH, OWN_VENDOR, R_SELF, 40, 30},
    {"Slack", NULL, APP_WEB | APP_RICH, OWN_VENDOR, R_SELF, 35, 40},
    {"Atlassian Cloud", NULL, APP_WEB, OWN_VENDOR, R_SELF, 50, 20},
    {"GitHub Enterprise Cloud - Enterprise Account", NULL, APP_WEB, OWN_VENDOR, R_SELF, 35, 10},
    {"Adobe Identity Management", NULL, APP_WEB, OWN_VENDOR, R_SELF, 20, 10},
    {"DocuSign", NULL, APP_WEB, OWN_VENDOR, R_SELF, 15, 5},
    {"Box", NULL, APP_WEB, OWN_VENDOR, R_SELF, 12, 10},
    {"Zscaler Internet Access", NULL, APP_WEB, OWN_VENDOR, R_SELF, 30, 10},
    {"Cisco Webex Meetings", NULL, APP_WEB, OWN_VENDOR, R_SELF, 15, 10},
    {"AWS IAM Identity Center (successor to AWS Single Sign-On)", NULL, APP_WEB | APP_ADMIN, OWN_VENDOR, R_SELF, 20, 5},
    {"Tableau Cloud", NULL, APP_WEB, OWN_VENDOR, R_SELF, 10, 2},
    {"Miro", NULL, APP_WEB, OWN_VENDOR, R_SELF, 12, 5},
    {"Figma", NULL, APP_WEB, OWN_VENDOR, R_SELF, 10, 5},
    {"Smartsheet", NULL, APP_WEB, OWN_VENDOR, R_SELF, 8, 2},
    {"LinkedIn Learning", NULL, APP_WEB, OWN_VENDOR, R_SELF, 6, 1},
    {"Coupa", NULL, APP_WEB, OWN_VENDOR, R_SELF, 6, 1},
    {"SAP SuccessFactors", NULL, APP_WEB, OWN_VENDOR, R_SELF, 10, 1},
    {"Palo Alto Networks - GlobalProtect", NULL, APP_RICH, OWN_VENDOR, R_SELF, 25, 10},
};
const size_t gen_n_apps = SP_ARRAY_LEN(gen_apps);

/* Line-of-business apps are named prefix + suffix. */
const char *const gen_lob_prefix[] = {
    "Contoso", "Finance", "HR", "Payroll", "Claims", "Inventory", "Sales", "Marketing",
    "Legal", "Procurement", "Facilities", "Travel", "Expense", "Compliance", "Risk",
    "Treasury", "Logistics", "Customer", "Partner", "Supplier", "Engineering", "Quality",
    "Support", "Field Service", "Data Platform", "Analytics", "Benefits", "Recruiting",
    "Learning", "Onboarding", "Asset", "Contract", "Pricing", "Forecast", "Warehouse",
};
const size_t gen_n_lob_prefix = SP_ARRAY_LEN(gen_lob_prefix);
const char *const gen_lob_suffix[] = {
    "Portal", "Reporting", "API", "Dashboard", "Web", "Self-Service", "Tracker", "Hub",
    "Connect", "Manager", "Portal (UAT)", "API - Dev",
};
const size_t gen_n_lob_suffix = SP_ARRAY_LEN(gen_lob_suffix);

/* AADSTS codes with Entra's failure reasons; weights per table (interactive,
 * non-interactive, service principal, managed identity). Index 0 is success. */
const gen_error gen_errors[] = {
    {0, "", NULL, 0, 0, 0, 0, 0},
    {50126, "Error validating credentials due to invalid username or password.",
     "The user didn't enter the right credentials. It's expected to see some number of these errors in your logs due to users making mistakes.",
     ERRK_PREAUTH, 250, 20, 0, 0},
    {50074, "Strong Authentication is required.", "MFA required in Azure AD", ERRK_INTERRUPT, 120, 30, 0, 0},
    {500121, "Authentication failed during strong authentication request.",
     "The user didn't complete the MFA prompt. They may have decided not to authenticate, timed out while doing other work, or has an issue with their authentication setup.",
     ERRK_INTERRUPT, 60, 0, 0, 0},
    {50140, "This error occurred due to 'Keep me signed in' interrupt when the user was signing-in.",
     "This is an expected part of the login flow, where a user is asked if they want to remain signed into this browser to make further logins easier.",
     ERRK_INTERRUPT, 150, 0, 0, 0},
    {50055, "The password is expired.", NULL, ERRK_PREAUTH, 25, 10, 0, 0},
    {50053, "Account is locked because user tried to sign in too many times with an incorrect user ID or password.",
     NULL, ERRK_PREAUTH, 25, 5, 0, 0},
    {50057, "User account is disabled. The account has been disabled by an administrator.", NULL,
     ERRK_PREAUTH, 20, 20, 0, 0},
    {53003, "Access has been blocked by Conditional Access policies. The access policy does not allow token issuance.",
     NULL, ERRK_CA, 45, 40, 0, 0},
    {53000, "Device is not in required device state: {state}. Conditional Access policy requires a compliant device, and the device is not compliant. The user must enroll their device with an approved MDM provider like Intune.",
     NULL, ERRK_CA, 25, 20, 0, 0},
    {50076, "Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication to access '{resource}'.",
     "MFA required in Azure AD", ERRK_INTERRUPT, 100, 150, 0, 0},
    {70044, "The session has expired or is invalid due to sign-in frequency checks by conditional access.",
     NULL, ERRK_TOKEN, 30, 150, 0, 0},
    {700016, "Application with identifier '{appIdentifier}' was not found in the directory '{tenantName}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.",
     NULL, ERRK_APP, 10, 10, 40, 0},
    {7000215, "Invalid client secret is provided.", NULL, ERRK_APP, 0, 0, 220, 0},
    {65001, "The user or administrator has not consented to use the application with ID '{identifier}' named '{name}'. Send an interactive authorization request for this user and resource.",
     NULL, ERRK_APP, 20, 80, 0, 0},
    {50072, "User needs to enroll for second factor authentication.", NULL, ERRK_INTERRUPT, 10, 0, 0, 0},
    {50125, "Sign-in was interrupted due to a password reset or password registration entry.", NULL,
     ERRK_INTERRUPT, 15, 0, 0, 0},
    {50097, "Device authentication is required.", NULL, ERRK_INTERRUPT, 15, 30, 0, 0},
    {50089, "Flow token expired - Authentication Failed. Have the user try signing-in again with username -password.",
     NULL, ERRK_INTERRUPT, 10, 0, 0, 0},
    {50173, "The provided grant has expired due to it being revoked, a fresh auth token is needed. The user might have changed or reset their password.",
     NULL, ERRK_TOKEN, 5, 200, 0, 0},
    {50133, "Session is invalid due to expiration or recent password change.", NULL, ERRK_TOKEN, 0, 120, 0, 0},
    {700082, "The refresh token has expired due to inactivity. The token was issued on {issueDate} and was inactive for {time}.",
     NULL, ERRK_TOKEN, 0, 150, 0, 0},
    {50158, "External security challenge was not satisfied.", NULL, ERRK_INTERRUPT, 10, 0, 0, 0},
    {50034, "The user account {identifier} does not exist in the {tenant} directory. To sign into this application, the account must be added to the directory.",
     NULL, ERRK_PREAUTH, 25, 0, 0, 0},
    {50199, "For security reasons, user confirmation is required for this request. Please repeat the request allowing user interaction.",
     NULL, ERRK_INTERRUPT, 20, 0, 0, 0},
    {7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
     NULL, ERRK_APP, 5, 40, 0, 0},
    {700027, "Client assertion failed signature validation.", NULL, ERRK_APP, 0, 0, 60, 0},
    {70021, "No matching federated identity record found for presented assertion. Assertion Issuer: '{issuer}'. Assertion Subject: '{subject}'. Assertion Audience: '{audience}'.",
     NULL, ERRK_APP, 0, 0, 60, 0},
    {7000222, "The provided client secret keys for app '{identifier}' are expired. Visit the Azure portal to create new keys for your app: https://aka.ms/NewClientSecret, or consider using certificate credentials for added security: https://aka.ms/certCreds",
     NULL, ERRK_APP, 0, 0, 80, 0},
    {700024, "Client assertion is not within its valid time range.", NULL, ERRK_APP, 0, 0, 40, 0},
    {700211, "No matching federated identity record found for presented assertion issuer '{issuer}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
     NULL, ERRK_APP, 0, 0, 8, 0},
    {700212, "No matching federated identity record found for presented assertion audience '{audience}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
     NULL, ERRK_APP, 0, 0, 4, 0},
    {700213, "No matching federated identity record found for presented assertion subject '{subject}'. Please check your federated identity credential Subject, Audience and Issuer against the presented assertion.",
     NULL, ERRK_APP, 0, 0, 12, 0},
    {7000112, "Application '{appId}'({appName}) is disabled.", NULL, ERRK_APP, 0, 0, 20, 0},
    {500011, "The resource principal named {name} was not found in the tenant named {tenant}. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You might have sent your authentication request to the wrong tenant.",
     NULL, ERRK_APP, 0, 0, 40, 100},
    {50020, "User account '{email}' from identity provider '{idp}' does not exist in tenant '{tenant}' and cannot access the application '{appid}'({appName}) in that tenant. The account needs to be added as an external user in the tenant first. Sign out and sign in again with a different Azure Active Directory user account.",
     NULL, ERRK_PREAUTH, 10, 0, 0, 0},
};
const size_t gen_n_errors = SP_ARRAY_LEN(gen_errors);

/* User agents: string, DeviceDetail.operatingSystem, DeviceDetail.browser, platform,
 * kind, weight within its platform and kind. */
const gen_ua gen_uas[] = {
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0", "Windows10", "Edge 130.0.0", OS_WIN, UAK_BROWSER, 300},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36 Edg/129.0.0.0", "Windows10", "Edge 129.0.0", OS_WIN, UAK_BROWSER, 80},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", "Windows10", "Chrome 130.0.0", OS_WIN, UAK_BROWSER, 200},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/129.0.0.0 Safari/537.36", "Windows10", "Chrome 129.0.0", OS_WIN, UAK_BROWSER, 60},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:132.0) Gecko/20100101 Firefox/132.0", "Windows10", "Firefox 132.0", OS_WIN, UAK_BROWSER, 30},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15", "MacOs", "Safari 18.1", OS_MAC, UAK_BROWSER, 60},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", "MacOs", "Chrome 130.0.0", OS_MAC, UAK_BROWSER, 80},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0", "MacOs", "Edge 130.0.0", OS_MAC, UAK_BROWSER, 30},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1", "Ios", "Mobile Safari 18.1", OS_IOS, UAK_BROWSER, 80},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 17_6_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.6 Mobile/15E148 Safari/604.1", "Ios", "Mobile Safari 17.6", OS_IOS, UAK_BROWSER, 30},
    {"Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Mobile Safari/537.36", "Android", "Chrome Mobile 130.0.6723", OS_ANDROID, UAK_BROWSER, 60},
    {"Mozilla/5.0 (Linux; Android 14; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/26.0 Chrome/122.0.0.0 Mobile Safari/537.36", "Android", "Samsung Browser 26.0", OS_ANDROID, UAK_BROWSER, 15},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36", "Linux", "Chrome 130.0.0", OS_LINUX, UAK_BROWSER, 10},
    {"Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:132.0) Gecko/20100101 Firefox/132.0", "Linux", "Firefox 132.0", OS_LINUX, UAK_BROWSER, 5},
    {"Windows-AzureAD-Authentication-Provider/1.0", "Windows10", "Rich Client 4.66.0.0", OS_WIN, UAK_RICH, 200},
    {"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/130.0.0.0 Safari/537.36 Edg/130.0.0.0 Teams/24295.605.3225.8804/49", "Windows10", "Rich Client 5.6.0.0", OS_WIN, UAK_RICH, 120},
    {"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.18129; Pro)", "Windows10", "Rich Client 4.66.0.0", OS_WIN, UAK_RICH, 100},
    {"Microsoft SkyDriveSync 24.211.1020.0001 ship; Windows NT 10.0 (26100)", "Windows10", "Rich Client 4.66.0.0", OS_WIN, UAK_RICH, 50},
    {"Microsoft Office/16.0 (Macintosh; Mac OS X 10.15.7; Microsoft Outlook 16.91.24111020; Pro)", "MacOs", "Rich Client 1.1.0.0", OS_MAC, UAK_RICH, 40},
    {"Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Teams/24295.605.3225.8804", "MacOs", "Rich Client 1.1.0.0", OS_MAC, UAK_RICH, 30},
    {"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 TeamsMobile-iOS", "Ios", "Rich Client 1.6.0", OS_IOS, UAK_RICH, 60},
    {"Outlook-iOS/723.4112004.prod.iphone (4.2446.1)", "Ios", "Rich Client 1.6.0", OS_IOS, UAK_RICH, 50},
    {"Mozilla/5.0 (Linux; Android 14; SM-S918B Build/UP1A.231005.007; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/130.0.6723.107 Mobile Safari/537.36 TeamsMobile-Android", "Android", "Rich Client 4.0.0", OS_ANDROID, UAK_RICH, 40},
    {"Outlook-Android/2.0", "Android", "Rich Client 4.0.0", OS_ANDROID, UAK_RICH, 40},
    {"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Code/1.95.3 Chrome/128.0.6613.186 Electron/32.2.1 Safari/537.36", "Linux", "Rich Client 4.66.0.0", OS_LINUX, UAK_RICH, 10},
    /* legacy protocol clients */
    {"Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.4266; Pro)", "Windows10", "IE 7.0", OS_WIN, UAK_LEGACY, 30},
    {"Apple-iPhone14C2/2108.100", "Ios", "", OS_IOS, UAK_LEGACY, 20},
    {"Android-Mail/2023.10.29.580347734.Release", "Android", "", OS_ANDROID, UAK_LEGACY, 10},
    {"", "", "", OS_LINUX, UAK_LEGACY, 20},
    /* tools and scripts */
    {"BAV2ROPC", "", "", OS_LINUX, UAK_TOOL, 10},
    {"python-requests/2.32.3", "", "", OS_LINUX, UAK_TOOL, 5},
    {"Go-http-client/1.1", "", "", OS_LINUX, UAK_TOOL, 3},
    {"azsdk-python-identity/1.19.0 Python/3.11.9 (Linux-6.5.0-1025-azure-x86_64-with-glibc2.35)", "Linux", "", OS_LINUX, UAK_TOOL, 5},
};
const size_t gen_n_uas = SP_ARRAY_LEN(gen_uas);

/* ClientAppUsed values; index 0 and 1 are the modern clients. */
const gen_client gen_clients[] = {
    {"Browser", 0},
    {"Mobile Apps and Desktop clients", 0},
    {"Exchange ActiveSync", 1},
    {"IMAP4", 1},
    {"POP3", 1},
    {"SMTP", 1},
    {"Authenticated SMTP", 1},
    {"Other clients", 1},
    {"Exchange Web Services", 1},
    {"MAPI Over HTTP", 1},
    {"AutoDiscover", 1},
    {"Exchange Online PowerShell", 1},
};
const size_t gen_n_clients = SP_ARRAY_LEN(gen_clients);

/* The tenant's Conditional Access policies (ids are per tenant). */
const gen_policy_def gen_policies[] = {
    {"CA001: Block legacy authentication", "[\"Block\"]", "[]", 0},
    {"CA002: Require MFA for administrators", "[\"Mfa\"]", "[]", 0},
    {"CA003: Require MFA outside trusted locations", "[\"Mfa\"]", "[\"SignInFrequency\"]", 0},
    {"CA004: Require compliant or hybrid joined device", "[\"RequireCompliantDevice\",\"RequireDomainJoinedDevice\"]", "[]", 0},
    {"CA005: Require approved client app on mobile", "[\"RequireApprovedApp\",\"RequireCompliantApp\"]", "[]", 0},
    {"CA006: Block high-risk sign-ins (report-only)", "[\"Block\"]", "[]", 1},
    {"CA007: Require MFA for sensitive applications", "[\"Mfa\"]", "[]", 0},
};

/* Apps whose every successful sign-in must pass Conditional Access (CA007): admin
 * portals and tools, HR and payroll. The sensitive_apps watchlist lists them with the
 * tenant's line-of-business apps named with these prefixes. */
const char *const gen_sensitive_apps[] = {
    "Azure Portal", "Microsoft Azure CLI", "Microsoft Azure PowerShell",
    "Azure Active Directory PowerShell", "Microsoft Exchange REST API Based Powershell",
    "Microsoft 365 Security and Compliance Center", "Graph Explorer", "Workday",
    "AWS IAM Identity Center (successor to AWS Single Sign-On)",
};
const size_t gen_n_sensitive_apps = SP_ARRAY_LEN(gen_sensitive_apps);
const char *const gen_sensitive_lob_prefix[] = {"Payroll ", "Treasury "};
const size_t gen_n_sensitive_lob_prefix = SP_ARRAY_LEN(gen_sensitive_lob_prefix);
const size_t gen_n_policies = SP_ARRAY_LEN(gen_policies);

const gen_mfa gen_mfas[] = {
    {"Mobile app notification", NULL},
    {"Text message", "+X XXXXXXXX"},
    {"OATH verification code", NULL},
    {"Windows Hello for Business", NULL},
    {"FIDO2 security key", NULL},
    {"Passkey (Microsoft Authenticator)", NULL},
};
const size_t gen_n_mfas = SP_ARRAY_LEN(gen_mfas);

const char *const gen_guest_domains[] = {
    "fabrikam.com", "northwindtraders.com", "adventure-works.com", "wingtiptoys.com",
    "tailspintoys.com", "litwareinc.com", "gmail.com", "outlook.com",
};
const size_t gen_n_guest_domains = SP_ARRAY_LEN(gen_guest_domains);

int gen_city_find(const char *name)
{
    for (size_t i = 0; i < gen_n_cities; i++)
        if (!strcmp(gen_cities[i].city, name))
            return (int)i;
    return -1;
}

int gen_error_find(uint32_t code)
{
    for (size_t i = 0; i < gen_n_errors; i++)
        if (gen_errors[i].code == code)
            return (int)i;
    return -1;
}

int gen_app_find(const char *name)
{
    for (size_t i = 0; i < gen_n_apps; i++)
        if (!strcmp(gen_apps[i].name, name))
            return (int)i;
    return -1;
}

int gen_ua_find_kind(uint8_t kind, uint8_t platform)
{
    for (size_t i = 0; i < gen_n_uas; i++)
        if (gen_uas[i].kind == kind && gen_uas[i].platform == platform)
            return (int)i;
    return -1;
}

int gen_ua_find(const char *prefix)
{
    size_t n = strlen(prefix);
    for (size_t i = 0; i < gen_n_uas; i++)
        if (!strncmp(gen_uas[i].ua, prefix, n))
            return (int)i;
    return 0;
}
