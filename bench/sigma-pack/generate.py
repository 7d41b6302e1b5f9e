#!/usr/bin/env python3
"""generate.py — writes bench/sigma-pack/rules/: the Sigma rule pack of issue #4's benchmark.

Over 100 realistic SigninLogs detections in the shape SigmaHQ writes them (the rules under
../shared/data/sigma/azure/signin_logs are the model): literal predicates only — equality,
lists, contains, startswith, endswith — over ResultType, AppDisplayName, ClientAppUsed,
UserPrincipalName, IPAddress, UserAgent, Location, AuthenticationRequirement,
ConditionalAccessStatus, RiskLevelDuringSignIn, AuthenticationProtocol and a few dynamic
fields (DeviceDetail.*), several combined with filters. The values are the ones Entra ID
logs (AADSTS codes, first-party app names, client types), so on `socpipe gen` data most
rules match rarely and some often, as a real pack does.

The output is deterministic (ids are uuid5 of the title), so the committed rules are the
script's output: `python3 bench/sigma-pack/generate.py --check` verifies that.

    python3 bench/sigma-pack/generate.py            # (re)write the rules
    python3 bench/sigma-pack/generate.py --check    # exit 1 when the committed rules differ
"""
import os
import re
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "rules")
NS = uuid.UUID("5b0c5e0e-7d1a-4c3b-9b7e-0a11ce5be4c4")

RULES = []


def rule(title, detection, condition="selection", level="medium", tags=("attack.initial-access", "attack.t1078.004"),
         description=None, falsepositives=("Legitimate administrative or user activity",)):
    RULES.append(dict(title=title, detection=detection, condition=condition, level=level, tags=list(tags),
                      description=description or title + ".", falsepositives=list(falsepositives)))


# ---- A. AADSTS result codes (equality, integer and string forms) ----
AADSTS = [
    (50126, "Invalid username or password", "attack.t1110", "low"),
    (50053, "Account locked by smart lockout", "attack.t1110", "medium"),
    (50057, "Sign-in to a disabled account", "attack.t1078.004", "medium"),
    (50055, "Sign-in with an expired password", "attack.t1078.004", "low"),
    (50056, "Invalid or null password", "attack.t1110", "low"),
    (50034, "Sign-in for a user that does not exist", "attack.t1110.003", "low"),
    (50072, "User must enroll for MFA", "attack.t1556.006", "low"),
    (50074, "Strong authentication required", "attack.t1621", "low"),
    (50076, "MFA required by location or policy", "attack.t1621", "low"),
    (500121, "Authentication failed during strong authentication", "attack.t1621", "medium"),
    (50079, "User must register for MFA", "attack.t1556.006", "low"),
    (50097, "Device authentication required", "attack.t1078.004", "low"),
    (50125, "Sign-in interrupted by password reset or registration", "attack.t1098", "low"),
    (50140, "Keep-me-signed-in interrupt", "attack.t1078.004", "informational"),
    (50158, "External security challenge not satisfied", "attack.t1621", "medium"),
    (50173, "Fresh authentication token required", "attack.t1550.001", "low"),
    (50199, "User confirmation required for sign-in", "attack.t1078.004", "informational"),
    (53000, "Device not compliant", "attack.t1078.004", "medium"),
    (53001, "Device not domain joined", "attack.t1078.004", "low"),
    (53003, "Access blocked by Conditional Access", "attack.t1078.004", "medium"),
    (53004, "MFA registration blocked by risk", "attack.t1556.006", "high"),
    (530032, "Blocked by security defaults", "attack.t1078.004", "medium"),
    (65001, "Consent required for application", "attack.t1528", "low"),
    (70044, "Session expired or revoked", "attack.t1550.001", "low"),
    (700016, "Application not found in the directory", "attack.t1528", "medium"),
    (7000218, "Client assertion or secret required", "attack.t1528", "medium"),
    (50020, "User from an external identity provider not in tenant", "attack.t1199", "low"),
    (50089, "Authentication flow token expired", "attack.t1550.001", "informational"),
    (90072, "External account must be added to the tenant", "attack.t1199", "low"),
    (81010, "Seamless SSO failed: Kerberos ticket expired or invalid", "attack.t1558", "medium"),
    (50105, "User not assigned to a role for the application", "attack.t1078.004", "low"),
    (50133, "Session invalid after a password change", "attack.t1098", "medium"),
]
for i, (code, what, tech, level) in enumerate(AADSTS):
    value = code if i % 2 == 0 else str(code)  # SigmaHQ writes both
    rule("Entra ID sign-in failure %d: %s" % (code, what), {"selection": {"ResultType": value}},
         level=level, tags=("attack.initial-access", "attack.credential-access", tech),
         description="Detects sign-ins that failed with AADSTS%d (%s)." % (code, what.lower()))

# ---- B. legacy authentication protocols ----
LEGACY = ["IMAP4", "POP3", "SMTP", "Authenticated SMTP", "Exchange ActiveSync", "Exchange Web Services",
          "MAPI Over HTTP", "AutoDiscover", "Other clients", "Exchange Online PowerShell",
          "Outlook Anywhere (RPC over HTTP)", "Offline Address Book", "Reporting Web Services"]
for proto in LEGACY:
    rule("Successful legacy authentication with %s" % proto,
         {"selection": {"ClientAppUsed": proto, "ResultType": 0}}, level="medium",
         tags=("attack.initial-access", "attack.defense-evasion", "attack.t1078.004", "attack.t1556"),
         description="Legacy protocol %s bypasses MFA and Conditional Access; a successful sign-in "
                     "with it is worth a look." % proto)
rule("Password guessing over legacy authentication",
     {"selection": {"ClientAppUsed": LEGACY[:9], "ResultType": [50126, 50053, 50056]}}, level="medium",
     tags=("attack.credential-access", "attack.t1110.003"))

# ---- C. administrative applications with single-factor authentication ----
ADMIN_APPS = ["Azure Portal", "Microsoft Azure PowerShell", "Microsoft Azure CLI", "Graph Explorer",
              "Azure DevOps", "Windows Azure Service Management API", "Microsoft Intune",
              "Microsoft Graph Command Line Tools", "Microsoft Exchange Online Remote PowerShell",
              "Visual Studio Code", "Microsoft 365 Security and Compliance Center", "Azure Active Directory PowerShell"]
for app in ADMIN_APPS:
    rule("Single-factor sign-in to %s" % app,
         {"selection": {"AppDisplayName": app, "AuthenticationRequirement": "singleFactorAuthentication",
                        "ResultType": 0}},
         level="medium", tags=("attack.initial-access", "attack.t1078.004"),
         description="A successful sign-in to %s with a password only." % app)

# ---- D. Conditional Access not applied to sensitive applications ----
SENSITIVE = ["Azure Portal", "Microsoft Azure PowerShell", "Microsoft Azure CLI", "Azure DevOps",
             "GitHub Enterprise Cloud - Enterprise Account", "Salesforce", "Workday", "ServiceNow",
             "SAP Concur", "AWS IAM Identity Center (successor to AWS Single Sign-On)"]
for app in SENSITIVE:
    rule("Conditional Access not applied to %s" % app,
         {"selection": {"AppDisplayName": app, "ConditionalAccessStatus": "notApplied", "ResultType": 0}},
         level="medium",
         tags=("attack.defense-evasion", "attack.t1556"),
         description="A successful sign-in to %s that no Conditional Access policy evaluated." % app)
rule("Conditional Access blocked a sensitive application after a correct password",
     {"selection": {"ConditionalAccessStatus": "failure", "ResultType": [53003, 53000, 53001, 530032],
                    "AppDisplayName": SENSITIVE}},
     level="low", tags=("attack.initial-access", "attack.t1078.004"))

# ---- E. risk ----
rule("High-risk sign-in succeeded", {"selection": {"RiskLevelDuringSignIn": "high", "ResultType": 0}}, level="high",
     tags=("attack.initial-access", "attack.t1078.004"))
rule("Medium-risk sign-in succeeded", {"selection": {"RiskLevelDuringSignIn": "medium", "ResultType": 0}},
     level="medium", tags=("attack.initial-access", "attack.t1078.004"))
rule("Risky sign-in with single-factor authentication",
     {"selection": {"RiskLevelDuringSignIn": ["high", "medium"],
                    "AuthenticationRequirement": "singleFactorAuthentication"}},
     level="high", tags=("attack.initial-access", "attack.t1078.004"))
rule("Sign-in by a user at risk", {"selection": {"RiskState": "atRisk"}}, level="medium",
     tags=("attack.initial-access", "attack.t1078.004"))
rule("At-risk user reaching an administrative application",
     {"selection": {"RiskState": "atRisk", "AppDisplayName": ADMIN_APPS[:6]}}, level="high",
     tags=("attack.privilege-escalation", "attack.t1078.004"))
rule("Low-risk sign-in from a guest",
     {"selection": {"RiskLevelDuringSignIn": "low", "UserType": "Guest"}}, level="low",
     tags=("attack.initial-access", "attack.t1199"))

# ---- F. tools in the user agent ----
AGENTS = [("contains", "python-requests", "Python requests library"), ("startswith", "curl/", "curl"),
          ("contains", "BAV2ROPC", "ROPC legacy client (BAV2ROPC)"), ("startswith", "azsdk-python", "Azure SDK for Python"),
          ("contains", "WindowsPowerShell", "Windows PowerShell"), ("startswith", "Go-http-client", "Go HTTP client"),
          ("startswith", "okhttp", "OkHttp"), ("contains", "aiohttp", "aiohttp"), ("startswith", "axios", "axios"),
          ("startswith", "libwww-perl", "libwww-perl"), ("startswith", "Wget", "Wget"), ("contains", "Scrapy", "Scrapy"),
          ("contains", "HeadlessChrome", "headless Chrome"), ("contains", "sqlmap", "sqlmap"),
          ("contains", "AADInternals", "AADInternals"), ("contains", "ROADtools", "ROADtools"),
          ("contains", "MSAL.Python", "MSAL for Python"), ("endswith", "Firefox/102.0", "an outdated Firefox ESR")]
for mod, value, what in AGENTS:
    rule("Sign-in with %s in the user agent" % what, {"selection": {"UserAgent|" + mod: value}},
         level="medium", tags=("attack.credential-access", "attack.discovery", "attack.t1087.004"),
         description="The user agent names %s, a tool more often seen in scripts and attacks than "
                     "in user sign-ins." % what, falsepositives=("Automation run by administrators",))

# ---- G. account name patterns ----
UPN = [("startswith", "admin", "an admin-prefixed account"), ("startswith", "adm-", "a tiered admin account"),
       ("startswith", "svc-", "a service account (svc- prefix)"), ("startswith", "svc_", "a service account (svc_ prefix)"),
       ("contains", "breakglass", "a break-glass account"), ("contains", "emergency", "an emergency access account"),
       ("contains", "#EXT#", "an external (B2B) account"), ("endswith", ".onmicrosoft.com", "a cloud-only initial-domain account"),
       ("startswith", "test", "a test account"), ("contains", "sync_", "a directory synchronisation account")]
for mod, value, what in UPN:
    rule("Interactive sign-in by %s" % what, {"selection": {"UserPrincipalName|" + mod: value, "ResultType": 0}},
         level="medium", tags=("attack.privilege-escalation", "attack.t1078.004"))
rule("Failed sign-in to a privileged-looking account",
     {"selection": {"UserPrincipalName|startswith": ["admin", "adm-", "root", "administrator"]},
      "filter": {"ResultType": 0}}, condition="selection and not filter", level="low",
     tags=("attack.credential-access", "attack.t1110"))

# ---- H. address prefixes (literal prefixes, as many packs write them) ----
PREFIXES = [("185.220.", "a Tor exit range"), ("45.155.205.", "a known password-spray range"),
            ("193.142.146.", "a bullet-proof hosting range"), ("194.165.16.", "a scanning range"),
            ("91.240.118.", "a brute-force source range"), ("23.129.64.", "a Tor exit range"),
            ("104.244.7", "an anonymising VPN range"), ("2a0b:f4c2:", "a Tor exit IPv6 range")]
for prefix, what in PREFIXES:
    rule("Sign-in from %s (%s*)" % (what, prefix), {"selection": {"IPAddress|startswith": prefix}},
         level="high", tags=("attack.initial-access", "attack.t1090.003", "attack.t1078.004"))

# ---- I. countries ----
COUNTRIES = [("RU", "Russia"), ("KP", "North Korea"), ("IR", "Iran"), ("CN", "China"), ("NG", "Nigeria"),
             ("VN", "Vietnam"), ("RO", "Romania"), ("BY", "Belarus")]
for cc, name in COUNTRIES:
    rule("Successful sign-in from %s" % name, {"selection": {"Location": cc, "ResultType": 0}}, level="medium",
         tags=("attack.initial-access", "attack.t1078.004"),
         falsepositives=("Travel", "Staff based in %s" % name))

# ---- J. guests and cross-tenant access ----
rule("Guest sign-in to an administrative application",
     {"selection": {"UserType": "Guest", "AppDisplayName": ADMIN_APPS}}, level="high",
     tags=("attack.privilege-escalation", "attack.t1078.004"))
rule("Guest sign-in to Azure DevOps", {"selection": {"UserType": "Guest", "AppDisplayName": "Azure DevOps"}},
     level="medium", tags=("attack.collection", "attack.t1213"))
rule("B2B collaboration sign-in to a sensitive application with single-factor authentication",
     {"selection": {"CrossTenantAccessType": "b2bCollaboration", "AppDisplayName": SENSITIVE,
                    "AuthenticationRequirement": "singleFactorAuthentication"}},
     level="medium", tags=("attack.initial-access", "attack.t1199"))
rule("Guest sign-in with legacy authentication",
     {"selection": {"UserType": "Guest", "ClientAppUsed": LEGACY[:6]}}, level="high",
     tags=("attack.initial-access", "attack.t1199"))
rule("Guest from a consumer mail domain reaching a sensitive application",
     {"selection": {"UserType": "Guest", "AppDisplayName": SENSITIVE, "ResultType": 0,
                    "UserPrincipalName|endswith": ["@outlook.com", "@gmail.com", "@hotmail.com", "@yahoo.com"]}},
     level="low", tags=("attack.initial-access", "attack.t1199"))

# ---- K. authentication flows ----
rule("Device code flow sign-in", {"selection": {"AuthenticationProtocol": "deviceCode"}}, level="medium",
     tags=("attack.initial-access", "attack.t1528"))
rule("Successful device code flow sign-in", {"selection": {"AuthenticationProtocol": "deviceCode", "ResultType": 0}},
     level="high", tags=("attack.initial-access", "attack.t1528"))
rule("ROPC flow sign-in", {"selection": {"AuthenticationProtocol": "ropc"}}, level="medium",
     tags=("attack.credential-access", "attack.t1110"))
rule("Failed ROPC flow sign-in", {"selection": {"AuthenticationProtocol": "ropc"}, "filter": {"ResultType": 0}},
     condition="selection and not filter", level="low", tags=("attack.credential-access", "attack.t1110.003"))

# ---- L. hosting networks ----
ASNS = [(14061, "DigitalOcean"), (16276, "OVH"), (24940, "Hetzner"), (396982, "Google Cloud"), (16509, "Amazon AWS")]
for asn, name in ASNS:
    rule("Successful single-factor sign-in from %s hosting (AS%d)" % (name, asn),
         {"selection": {"AutonomousSystemNumber": str(asn), "ResultType": 0,
                        "AuthenticationRequirement": "singleFactorAuthentication"},
          "filter_service": {"UserPrincipalName|startswith": "svc-"}},
         condition="selection and not filter_service", level="medium",
         tags=("attack.initial-access", "attack.t1078.004"))

# ---- M. resources and devices ----
rule("Single-factor access to the Azure management API",
     {"selection": {"ResourceDisplayName": "Windows Azure Service Management API",
                    "AuthenticationRequirement": "singleFactorAuthentication"}},
     level="high", tags=("attack.initial-access", "attack.t1078.004"))
rule("Single-factor access to Microsoft Graph from administration tools",
     {"selection": {"ResourceDisplayName": "Microsoft Graph", "AppDisplayName": ADMIN_APPS,
                    "AuthenticationRequirement": "singleFactorAuthentication", "ResultType": 0}},
     level="medium", tags=("attack.discovery", "attack.t1087.004"))
rule("Sign-in from a Linux device to an administrative application",
     {"selection": {"DeviceDetail.operatingSystem": "Linux", "AppDisplayName": ADMIN_APPS[:4]}},
     level="low", tags=("attack.initial-access", "attack.t1078.004"))
rule("Sign-in from an unregistered device to Azure Portal",
     {"selection": {"AppDisplayName": "Azure Portal", "DeviceDetail.trustType": ""}},
     level="medium", tags=("attack.initial-access", "attack.t1078.004"))
rule("Office 365 sign-in from the Windows Sign In broker with a failure",
     {"selection": {"AppDisplayName": "Windows Sign In"}, "filter": {"ResultType": 0}},
     condition="selection and not filter", level="informational",
     tags=("attack.credential-access", "attack.t1110"))


def slug(title):
    s = re.sub(r"[^a-z0-9]+", "_", title.lower()).strip("_")
    return s[:80]


def yaml_scalar(v):
    if isinstance(v, int):
        return str(v)
    s = str(v)
    if s == "" or re.search(r"[:#\[\]{},&*!|>'\"%@`]|^[-?\s]|\s$", s) or s.lower() in ("true", "false", "null", "yes", "no") \
            or re.fullmatch(r"[0-9.]+", s):
        return "'" + s.replace("'", "''") + "'"
    return s


def render(r, n):
    rid = uuid.uuid5(NS, r["title"])
    out = ["title: " + yaml_scalar(r["title"]), "id: %s" % rid, "status: experimental",
           "description: " + yaml_scalar(r["description"]),
           "references:", "    - https://learn.microsoft.com/en-us/entra/identity/monitoring-health/concept-sign-ins",
           "author: socpipe benchmark pack (bench/sigma-pack/generate.py)", "date: 2026-11-01", "tags:"]
    out += ["    - " + t for t in r["tags"]]
    out += ["logsource:", "    product: azure", "    service: signinlogs", "detection:"]
    for name, body in r["detection"].items():
        out.append("    %s:" % name)
        for field, value in body.items():
            if isinstance(value, list):
                out.append("        %s:" % field)
                out += ["            - " + yaml_scalar(v) for v in value]
            else:
                out.append("        %s: %s" % (field, yaml_scalar(value)))
    out.append("    condition: " + r["condition"])
    out.append("falsepositives:")
    out += ["    - " + yaml_scalar(f) for f in r["falsepositives"]]
    out.append("level: " + r["level"])
    return "\n".join(out) + "\n"


def files():
    seen = set()
    result = {}
    for n, r in enumerate(RULES):
        name = "%03d_%s.yml" % (n + 1, slug(r["title"]))
        assert r["title"] not in seen, r["title"]
        seen.add(r["title"])
        result[name] = render(r, n)
    return result


def main():
    want = files()
    if "--check" in sys.argv:
        have = {f: open(os.path.join(OUT, f)).read() for f in os.listdir(OUT)} if os.path.isdir(OUT) else {}
        if have != want:
            print("bench/sigma-pack/rules differs from generate.py's output: rerun the script", file=sys.stderr)
            return 1
        print("%d rules up to date" % len(want))
        return 0
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.endswith(".yml") and f not in want:
            os.remove(os.path.join(OUT, f))
    for f, text in want.items():
        with open(os.path.join(OUT, f), "w") as fh:
            fh.write(text)
    print("%d rules written to %s" % (len(want), OUT))
    return 0


if __name__ == "__main__":
    sys.exit(main())
