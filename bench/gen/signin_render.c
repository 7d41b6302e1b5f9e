/* signin_render.c — writes a gen_signin model as a Log Analytics row or as an Azure
 * Monitor diagnostic record (Event Hubs form).
 *
 * One table of fields drives both forms: every field knows its Event Hubs key and how
 * to write its native value (string, number, bool or JSON), and each table lists its
 * Log Analytics columns (SCHEMAS.md names and types) as fields. The Log Analytics
 * writer converts a native value to the column type (JSON text for string columns
 * holding arrays/objects/numbers, as the non-interactive tables store them); the Event
 * Hubs writer emits the same fields under their camelCase keys. So both forms carry
 * the same values by construction, and they differ only in the spellings SCHEMAS.md
 * lists (time offsets, Level 4 vs "4", durationMs as a string).
 *
 * Size (issue #2: ~2.5-3 KB per SigninLogs row). A field that writes nothing is left
 * out of both forms. What a row carries was chosen as a detection engineer would: every
 * column and nested path the Sentinel and Sigma rules in shared/data read stays
 * (Status.errorCode/additionalDetails, LocationDetails with geoCoordinates, DeviceDetail
 * with deviceId/isCompliant/trustType, NetworkLocationDetails even when "[]",
 * AuthenticationRequirement, ConditionalAccessStatus/Policies, UserType, TokenIssuerType,
 * home/resource tenant, ASN, ...). Left out: columns that are always empty or default in
 * exports (empty arrays, "none" enumerations, false flags, Agent "notAgentic"), risk columns when
 * there is no risk, MfaDetail without an MFA step, SignInIdentifier(Type) when a token
 * signed the user in, OriginalRequestId outside multi-request flows, TokenProtection
 * details of unbound sessions; and in the high-volume user tables only, columns that
 * repeat others or carry no detection value (ConditionalAccessAudiences and
 * ResourceServicePrincipalId/ResourceOwnerTenantId repeat ResourceIdentity, and
 * AppOwnerTenantId the AppId,
 * AuthenticationRequirementPolicies repeats AuthenticationRequirement,
 * ProcessingTimeInMilliseconds). The Conditional Access array lists the policies that
 * took part (0-4), and AuthenticationDetails has Graph's keys without the zero sequences.
 */
#include "bench/gen/gen_int.h"

#include <pthread.h>
#include <string.h>

enum fkind { K_STR, K_NUM, K_BOOL, K_JSON };
enum latype { T_STR, T_DYN, T_LONG, T_BOOL, T_DT };

/* Fields. Top-level and workspace fields first; then properties. */
#define FIELDS(X)                                                                          \
    X(F_TIME, "time", K_STR)                                                               \
    X(F_RESID_TOP, "resourceId", K_STR)                                                    \
    X(F_OPNAME, "operationName", K_STR)                                                    \
    X(F_OPVER, "operationVersion", K_STR)                                                  \
    X(F_CATEGORY, "category", K_STR)                                                       \
    X(F_AADTENANT, "tenantId", K_STR)                                                      \
    X(F_RESULTTYPE, "resultType", K_STR)                                                   \
    X(F_RESULTSIG, "resultSignature", K_STR)                                               \
    X(F_RESULTDESC, "resultDescription", K_STR)                                            \
    X(F_DURATION, "durationMs", K_NUM)                                                     \
    X(F_IDENTITY, "identity", K_STR)                                                       \
    X(F_LEVEL, "Level", K_STR)                                                             \
    X(F_LOCCC, "location", K_STR)                                                          \
    X(F_WS_TENANT, NULL, K_STR)                                                            \
    X(F_WS_SOURCESYS, NULL, K_STR)                                                         \
    X(F_WS_TYPE, NULL, K_STR)                                                              \
    X(F_WS_RES, NULL, K_STR)                                                               \
    X(F_EMPTY, NULL, K_STR)                                                                \
    /* properties, in the order Entra writes them */                                       \
    X(F_ID, "id", K_STR)                                                                   \
    X(F_CREATED, "createdDateTime", K_STR)                                                 \
    X(F_USERDISPLAY, "userDisplayName", K_STR)                                             \
    X(F_UPN, "userPrincipalName", K_STR)                                                   \
    X(F_USERID, "userId", K_STR)                                                           \
    X(F_APPID, "appId", K_STR)                                                             \
    X(F_APPNAME, "appDisplayName", K_STR)                                                  \
    X(F_IP, "ipAddress", K_STR)                                                            \
    X(F_STATUS, "status", K_JSON)                                                          \
    X(F_CLIENTAPP, "clientAppUsed", K_STR)                                                 \
    X(F_UA, "userAgent", K_STR)                                                            \
    X(F_DEVICE, "deviceDetail", K_JSON)                                                    \
    X(F_LOCDETAIL, "location", K_JSON)                                                     \
    X(F_MFA, "mfaDetail", K_JSON)                                                          \
    X(F_CORR, "correlationId", K_STR)                                                      \
    X(F_CASTATUS, "conditionalAccessStatus", K_STR)                                        \
    X(F_CAPOL, "appliedConditionalAccessPolicies", K_JSON)                                 \
    X(F_AUTHCTX, "authenticationContextClassReferences", K_JSON)                           \
    X(F_ORIGREQ, "originalRequestId", K_STR)                                               \
    X(F_ISINTERACTIVE, "isInteractive", K_BOOL)                                            \
    X(F_TOKISSUERNAME, "tokenIssuerName", K_STR)                                           \
    X(F_TOKISSUERTYPE, "tokenIssuerType", K_STR)                                           \
    X(F_AUTHPROC, "authenticationProcessingDetails", K_JSON)                               \
    X(F_NETLOC, "networkLocationDetails", K_JSON)                                          \
    X(F_CREDTYPE, "clientCredentialType", K_STR)                                           \
    X(F_PROCMS, "processingTimeInMilliseconds", K_NUM)                                     \
    X(F_RISKDETAIL, "riskDetail", K_STR)                                                   \
    X(F_RISKAGG, "riskLevelAggregated", K_STR)                                             \
    X(F_RISKDURING, "riskLevelDuringSignIn", K_STR)                                        \
    X(F_RISKSTATE, "riskState", K_STR)                                                     \
    X(F_RISKEVENTS, "riskEventTypes", K_JSON)                                              \
    X(F_RISKEVENTS2, "riskEventTypes_v2", K_JSON)                                          \
    X(F_RESNAME, "resourceDisplayName", K_STR)                                             \
    X(F_RESID, "resourceId", K_STR)                                                        \
    X(F_RESTENANT, "resourceTenantId", K_STR)                                              \
    X(F_HOMETENANT, "homeTenantId", K_STR)                                                 \
    X(F_AUTHDETAILS, "authenticationDetails", K_JSON)                                      \
    X(F_AUTHREQPOL, "authenticationRequirementPolicies", K_JSON)                           \
    X(F_AUTHREQ, "authenticationRequirement", K_STR)                                       \
    X(F_SIGNINID, "signInIdentifier", K_STR)                                               \
    X(F_SIGNINIDTYPE, "signInIdentifierType", K_STR)                                       \
    X(F_SPID, "servicePrincipalId", K_STR)                                                 \
    X(F_SPNAME, "servicePrincipalName", K_STR)                                             \
    X(F_USERTYPE, "userType", K_STR)                                                       \
    X(F_FLAGGED, "flaggedForReview", K_BOOL)                                               \
    X(F_TENANTRESTRICTED, "isTenantRestricted", K_BOOL)                                    \
    X(F_ASN, "autonomousSystemNumber", K_NUM)                                              \
    X(F_CROSSTENANT, "crossTenantAccessType", K_STR)                                       \
    X(F_ISRISKY, "isRisky", K_BOOL)                                                        \
    X(F_UTI, "uniqueTokenIdentifier", K_STR)                                               \
    X(F_INCOMINGTOKEN, "incomingTokenType", K_STR)                                         \
    X(F_AUTHPROTO, "authenticationProtocol", K_STR)                                        \
    X(F_TRANSFER, "originalTransferMethod", K_STR)                                         \
    X(F_GSA, "isThroughGlobalSecureAccess", K_BOOL)                                        \
    X(F_SESSIONID, "sessionId", K_STR)                                                     \
    X(F_SESSIONPOL, "sessionLifetimePolicies", K_JSON)                                     \
    X(F_APPOWNER, "appOwnerTenantId", K_STR)                                               \
    X(F_RESOWNER, "resourceOwnerTenantId", K_STR)                                          \
    X(F_RESSPID, "resourceServicePrincipalId", K_STR)                                      \
    X(F_CAAUD, "conditionalAccessAudiences", K_JSON)                                       \
    X(F_TOKPROT, "tokenProtectionStatusDetails", K_JSON)                                   \
    X(F_AGENT, "agent", K_JSON)                                                            \
    X(F_EVENTLISTENERS, "appliedEventListeners", K_JSON)                                   \
    X(F_AUTHMETHODS, "authenticationMethodsUsed", K_JSON)                                  \
    X(F_SIGNINEVENTTYPES, "signInEventTypes", K_JSON)                                      \
    X(F_KEYID, "servicePrincipalCredentialKeyId", K_STR)                                   \
    X(F_THUMB, "servicePrincipalCredentialThumbprint", K_STR)                              \
    X(F_FICID, "federatedCredentialId", K_STR)                                             \
    X(F_MSI, "managedServiceIdentity", K_JSON)

#define X_ENUM(e, k, t) e,
enum { FIELDS(X_ENUM) F_N };
#define X_KEY(e, k, t) k,
static const char *const field_key[F_N] = {FIELDS(X_KEY)};
#define X_KIND(e, k, t) t,
static const uint8_t field_kind[F_N] = {FIELDS(X_KIND)};
#define F_FIRST_PROP F_ID

typedef struct col {
    const char *name;
    uint8_t field, type;
} col;

/* Log Analytics columns per table, in the order a workspace export writes them. */
static const col cols_signin[] = {
    {"TimeGenerated", F_TIME, T_DT}, {"ResourceId", F_RESID_TOP, T_STR},
    {"OperationName", F_OPNAME, T_STR}, {"OperationVersion", F_OPVER, T_STR},
    {"Category", F_CATEGORY, T_STR}, {"ResultType", F_RESULTTYPE, T_STR},
    {"ResultSignature", F_RESULTSIG, T_STR}, {"ResultDescription", F_RESULTDESC, T_STR},
    {"DurationMs", F_DURATION, T_LONG}, {"CorrelationId", F_CORR, T_STR},
    {"Resource", F_WS_RES, T_STR}, {"ResourceGroup", F_WS_RES, T_STR},
    {"ResourceProvider", F_WS_RES, T_STR}, {"Identity", F_IDENTITY, T_STR},
    {"Level", F_LEVEL, T_STR}, {"Location", F_LOCCC, T_STR},
    {"AlternateSignInName", F_EMPTY, T_STR}, {"AppDisplayName", F_APPNAME, T_STR},
    {"AppId", F_APPID, T_STR}, {"AuthenticationContextClassReferences", F_AUTHCTX, T_STR},
    {"AuthenticationDetails", F_AUTHDETAILS, T_STR}, {"AppliedEventListeners", F_EVENTLISTENERS, T_DYN},
    {"AuthenticationMethodsUsed", F_AUTHMETHODS, T_STR},
    {"AuthenticationProcessingDetails", F_AUTHPROC, T_STR},
    {"AuthenticationRequirement", F_AUTHREQ, T_STR},
    {"AuthenticationRequirementPolicies", F_AUTHREQPOL, T_STR},
    {"ClientAppUsed", F_CLIENTAPP, T_STR}, {"ConditionalAccessPolicies", F_CAPOL, T_DYN},
    {"ConditionalAccessStatus", F_CASTATUS, T_STR}, {"CreatedDateTime", F_CREATED, T_DT},
    {"DeviceDetail", F_DEVICE, T_DYN}, {"IsInteractive", F_ISINTERACTIVE, T_BOOL},
    {"Id", F_ID, T_STR}, {"IPAddress", F_IP, T_STR}, {"IsRisky", F_ISRISKY, T_BOOL},
    {"LocationDetails", F_LOCDETAIL, T_DYN}, {"MfaDetail", F_MFA, T_DYN},
    {"NetworkLocationDetails", F_NETLOC, T_STR}, {"OriginalRequestId", F_ORIGREQ, T_STR},
    {"ProcessingTimeInMilliseconds", F_PROCMS, T_STR}, {"RiskDetail", F_RISKDETAIL, T_STR},
    {"RiskEventTypes", F_RISKEVENTS, T_STR}, {"RiskEventTypes_V2", F_RISKEVENTS2, T_STR},
    {"RiskLevelAggregated", F_RISKAGG, T_STR}, {"RiskLevelDuringSignIn", F_RISKDURING, T_STR},
    {"RiskState", F_RISKSTATE, T_STR}, {"ResourceDisplayName", F_RESNAME, T_STR},
    {"ResourceIdentity", F_RESID, T_STR}, {"ServicePrincipalId", F_SPID, T_STR},
    {"Status", F_STATUS, T_DYN}, {"TokenIssuerName", F_TOKISSUERNAME, T_STR},
    {"TokenIssuerType", F_TOKISSUERTYPE, T_STR}, {"UserAgent", F_UA, T_STR},
    {"UserDisplayName", F_USERDISPLAY, T_STR}, {"UserId", F_USERID, T_STR},
    {"UserPrincipalName", F_UPN, T_STR}, {"AADTenantId", F_AADTENANT, T_STR},
    {"UserType", F_USERTYPE, T_STR}, {"FlaggedForReview", F_FLAGGED, T_BOOL},
    {"IPAddressFromResourceProvider", F_EMPTY, T_STR}, {"SignInIdentifier", F_SIGNINID, T_STR},
    {"SignInIdentifierType", F_SIGNINIDTYPE, T_STR}, {"ResourceTenantId", F_RESTENANT, T_STR},
    {"HomeTenantId", F_HOMETENANT, T_STR}, {"UniqueTokenIdentifier", F_UTI, T_STR},
    {"SessionLifetimePolicies", F_SESSIONPOL, T_STR}, {"AutonomousSystemNumber", F_ASN, T_STR},
    {"AuthenticationProtocol", F_AUTHPROTO, T_STR}, {"CrossTenantAccessType", F_CROSSTENANT, T_STR},
    {"AppliedConditionalAccessPolicies", F_EMPTY, T_STR}, {"RiskLevel", F_EMPTY, T_STR},
    {"AppOwnerTenantId", F_APPOWNER, T_STR}, {"AuthenticationAppDeviceDetails", F_EMPTY, T_STR},
    {"AuthenticationAppPolicyEvaluationDetails", F_EMPTY, T_STR},
    {"AuthenticatorAppLocation", F_EMPTY, T_STR}, {"ClientCredentialType", F_CREDTYPE, T_STR},
    {"ConditionalAccessAudiences", F_CAAUD, T_STR}, {"FederatedCredentialId", F_FICID, T_STR},
    {"GlobalSecureAccessIpAddress", F_EMPTY, T_STR}, {"HomeTenantName", F_EMPTY, T_STR},
    {"IncomingTokenType", F_INCOMINGTOKEN, T_STR}, {"IsTenantRestricted", F_TENANTRESTRICTED, T_BOOL},
    {"IsThroughGlobalSecureAccess", F_GSA, T_BOOL}, {"OriginalTransferMethod", F_TRANSFER, T_STR},
    {"ResourceOwnerTenantId", F_RESOWNER, T_STR}, {"ResourceServicePrincipalId", F_RESSPID, T_STR},
    {"ServicePrincipalName", F_SPNAME, T_STR}, {"SessionId", F_SESSIONID, T_STR},
    {"SourceAppClientId", F_EMPTY, T_STR}, {"TokenProtectionStatusDetails", F_TOKPROT, T_DYN},
    {"Agent", F_AGENT, T_DYN}, {"SourceSystem", F_WS_SOURCESYS, T_STR}, {"Type", F_WS_TYPE, T_STR},
};

static const col cols_nonint[] = {
    {"TimeGenerated", F_TIME, T_DT}, {"TenantId", F_WS_TENANT, T_STR},
    {"SourceSystem", F_WS_SOURCESYS, T_STR}, {"OperationName", F_OPNAME, T_STR},
    {"OperationVersion", F_OPVER, T_STR}, {"Category", F_CATEGORY, T_STR},
    {"ResultType", F_RESULTTYPE, T_STR}, {"ResultSignature", F_RESULTSIG, T_STR},
    {"ResultDescription", F_RESULTDESC, T_STR}, {"DurationMs", F_DURATION, T_LONG},
    {"CorrelationId", F_CORR, T_STR}, {"ResourceGroup", F_WS_RES, T_STR},
    {"Identity", F_IDENTITY, T_STR}, {"Level", F_LEVEL, T_STR}, {"Location", F_LOCCC, T_STR},
    {"AlternateSignInName", F_EMPTY, T_STR}, {"AppDisplayName", F_APPNAME, T_STR},
    {"AppId", F_APPID, T_STR}, {"AuthenticationContextClassReferences", F_AUTHCTX, T_STR},
    {"AuthenticationDetails", F_AUTHDETAILS, T_STR}, {"AppliedEventListeners", F_EVENTLISTENERS, T_DYN},
    {"AuthenticationMethodsUsed", F_AUTHMETHODS, T_STR},
    {"AuthenticationProcessingDetails", F_AUTHPROC, T_STR},
    {"AuthenticationRequirement", F_AUTHREQ, T_STR},
    {"AuthenticationRequirementPolicies", F_AUTHREQPOL, T_STR},
    {"ClientAppUsed", F_CLIENTAPP, T_STR}, {"ConditionalAccessPolicies", F_CAPOL, T_STR},
    {"ConditionalAccessStatus", F_CASTATUS, T_STR}, {"CreatedDateTime", F_CREATED, T_DT},
    {"DeviceDetail", F_DEVICE, T_STR}, {"IsInteractive", F_ISINTERACTIVE, T_BOOL},
    {"Id", F_ID, T_STR}, {"IPAddress", F_IP, T_STR}, {"IsRisky", F_ISRISKY, T_BOOL},
    {"LocationDetails", F_LOCDETAIL, T_STR}, {"MfaDetail", F_MFA, T_STR},
    {"NetworkLocationDetails", F_NETLOC, T_STR}, {"OriginalRequestId", F_ORIGREQ, T_STR},
    {"ProcessingTimeInMs", F_PROCMS, T_STR}, {"RiskDetail", F_RISKDETAIL, T_STR},
    {"RiskEventTypes", F_RISKEVENTS, T_STR}, {"RiskEventTypes_V2", F_RISKEVENTS2, T_STR},
    {"RiskLevelAggregated", F_RISKAGG, T_STR}, {"RiskLevelDuringSignIn", F_RISKDURING, T_STR},
    {"RiskState", F_RISKSTATE, T_STR}, {"ResourceDisplayName", F_RESNAME, T_STR},
    {"ResourceIdentity", F_RESID, T_STR}, {"ServicePrincipalId", F_SPID, T_STR},
    {"Status", F_STATUS, T_STR}, {"TokenIssuerName", F_TOKISSUERNAME, T_STR},
    {"TokenIssuerType", F_TOKISSUERTYPE, T_STR}, {"UserAgent", F_UA, T_STR},
    {"UserDisplayName", F_USERDISPLAY, T_STR}, {"UserId", F_USERID, T_STR},
    {"UserPrincipalName", F_UPN, T_STR}, {"AADTenantId", F_AADTENANT, T_STR},
    {"UserType", F_USERTYPE, T_STR}, {"SignInIdentifierType", F_SIGNINIDTYPE, T_STR},
    {"ResourceTenantId", F_RESTENANT, T_STR}, {"HomeTenantId", F_HOMETENANT, T_STR},
    {"UniqueTokenIdentifier", F_UTI, T_STR}, {"SessionLifetimePolicies", F_SESSIONPOL, T_STR},
    {"AutonomousSystemNumber", F_ASN, T_STR}, {"AuthenticationProtocol", F_AUTHPROTO, T_STR},
    {"CrossTenantAccessType", F_CROSSTENANT, T_STR}, {"AppOwnerTenantId", F_APPOWNER, T_STR},
    {"AuthenticatorAppLocation", F_EMPTY, T_STR}, {"ClientCredentialType", F_CREDTYPE, T_STR},
    {"ClientSessionId", F_EMPTY, T_STR}, {"ConditionalAccessAudiences", F_CAAUD, T_STR},
    {"FederatedCredentialId", F_FICID, T_STR}, {"GlobalSecureAccessIpAddress", F_EMPTY, T_STR},
    {"HomeTenantName", F_EMPTY, T_STR}, {"IncomingTokenType", F_INCOMINGTOKEN, T_STR},
    {"IsTenantRestricted", F_TENANTRESTRICTED, T_BOOL}, {"IsThroughGlobalSecureAccess", F_GSA, T_BOOL},
    {"OriginalTransferMethod", F_TRANSFER, T_STR}, {"ResourceOwnerTenantId", F_RESOWNER, T_STR},
    {"ResourceServicePrincipalId", F_RESSPID, T_STR}, {"SessionId", F_SESSIONID, T_STR},
    {"SignInEventTypes", F_SIGNINEVENTTYPES, T_STR}, {"TokenProtectionStatusDetails", F_TOKPROT, T_STR},
    {"Agent", F_AGENT, T_STR}, {"Type", F_WS_TYPE, T_STR},
};

static const col cols_sp[] = {
    {"TimeGenerated", F_TIME, T_DT}, {"TenantId", F_WS_TENANT, T_STR},
    {"SourceSystem", F_WS_SOURCESYS, T_STR}, {"OperationName", F_OPNAME, T_STR},
    {"OperationVersion", F_OPVER, T_STR}, {"Category", F_CATEGORY, T_STR},
    {"ResultType", F_RESULTTYPE, T_STR}, {"ResultSignature", F_RESULTSIG, T_STR},
    {"ResultDescription", F_RESULTDESC, T_STR}, {"DurationMs", F_DURATION, T_LONG},
    {"CorrelationId", F_CORR, T_STR}, {"ResourceGroup", F_WS_RES, T_STR},
    {"Identity", F_IDENTITY, T_STR}, {"Level", F_LEVEL, T_STR}, {"Location", F_LOCCC, T_STR},
    {"AppId", F_APPID, T_STR}, {"AppOwnerTenantId", F_APPOWNER, T_STR},
    {"AuthenticationContextClassReferences", F_AUTHCTX, T_STR},
    {"AuthenticationProcessingDetails", F_AUTHPROC, T_STR},
    {"AutonomousSystemNumber", F_ASN, T_STR}, {"ClientCredentialType", F_CREDTYPE, T_STR},
    {"ConditionalAccessAudiences", F_CAAUD, T_STR}, {"ConditionalAccessPolicies", F_CAPOL, T_STR},
    {"ConditionalAccessStatus", F_CASTATUS, T_STR}, {"CreatedDateTime", F_CREATED, T_DT},
    {"FederatedCredentialId", F_FICID, T_STR}, {"Id", F_ID, T_STR}, {"IPAddress", F_IP, T_STR},
    {"LocationDetails", F_LOCDETAIL, T_STR}, {"NetworkLocationDetails", F_NETLOC, T_STR},
    {"ResourceDisplayName", F_RESNAME, T_STR}, {"ResourceIdentity", F_RESID, T_STR},
    {"ResourceOwnerTenantId", F_RESOWNER, T_STR}, {"ResourceServicePrincipalId", F_RESSPID, T_STR},
    {"ServicePrincipalCredentialKeyId", F_KEYID, T_STR},
    {"ServicePrincipalCredentialThumbprint", F_THUMB, T_STR},
    {"ServicePrincipalId", F_SPID, T_STR}, {"ServicePrincipalName", F_SPNAME, T_STR},
    {"SessionId", F_SESSIONID, T_STR}, {"UniqueTokenIdentifier", F_UTI, T_STR},
    {"UserAgent", F_UA, T_STR}, {"AADTenantId", F_AADTENANT, T_STR}, {"Agent", F_AGENT, T_STR},
    {"Type", F_WS_TYPE, T_STR},
};

static const col cols_mi[] = {
    {"TimeGenerated", F_TIME, T_DT}, {"TenantId", F_WS_TENANT, T_STR},
    {"SourceSystem", F_WS_SOURCESYS, T_STR}, {"OperationName", F_OPNAME, T_STR},
    {"OperationVersion", F_OPVER, T_STR}, {"Category", F_CATEGORY, T_STR},
    {"ResultType", F_RESULTTYPE, T_STR}, {"ResultSignature", F_RESULTSIG, T_STR},
    {"ResultDescription", F_RESULTDESC, T_STR}, {"DurationMs", F_DURATION, T_LONG},
    {"CorrelationId", F_CORR, T_STR}, {"ResourceGroup", F_WS_RES, T_STR},
    {"Identity", F_IDENTITY, T_STR}, {"Level", F_LEVEL, T_STR}, {"Location", F_LOCCC, T_STR},
    {"AppId", F_APPID, T_STR}, {"AppOwnerTenantId", F_APPOWNER, T_STR},
    {"AuthenticationContextClassReferences", F_AUTHCTX, T_STR},
    {"AuthenticationProcessingDetails", F_AUTHPROC, T_STR},
    {"ClientCredentialType", F_CREDTYPE, T_STR}, {"ConditionalAccessAudiences", F_CAAUD, T_STR},
    {"ConditionalAccessPolicies", F_CAPOL, T_STR}, {"ConditionalAccessStatus", F_CASTATUS, T_STR},
    {"CreatedDateTime", F_CREATED, T_DT}, {"FederatedCredentialId", F_FICID, T_STR},
    {"Id", F_ID, T_STR}, {"IPAddress", F_IP, T_STR}, {"LocationDetails", F_LOCDETAIL, T_STR},
    {"ManagedServiceIdentity", F_MSI, T_STR}, {"NetworkLocationDetails", F_NETLOC, T_STR},
    {"ResourceDisplayName", F_RESNAME, T_STR}, {"ResourceIdentity", F_RESID, T_STR},
    {"ResourceOwnerTenantId", F_RESOWNER, T_STR}, {"ResourceServicePrincipalId", F_RESSPID, T_STR},
    {"ServicePrincipalCredentialKeyId", F_KEYID, T_STR},
    {"ServicePrincipalCredentialThumbprint", F_THUMB, T_STR},
    {"ServicePrincipalId", F_SPID, T_STR}, {"ServicePrincipalName", F_SPNAME, T_STR},
    {"SessionId", F_SESSIONID, T_STR}, {"SourceAppClientId", F_EMPTY, T_STR},
    {"UniqueTokenIdentifier", F_UTI, T_STR}, {"UserAgent", F_UA, T_STR},
    {"AADTenantId", F_AADTENANT, T_STR}, {"Agent", F_AGENT, T_STR}, {"Type", F_WS_TYPE, T_STR},
};

typedef struct table_cols {
    const col *cols;
    size_t n;
    const char *name, *category;
} table_cols;

static const table_cols tables[4] = {
    {cols_signin, SP_ARRAY_LEN(cols_signin), "SigninLogs", "SignInLogs"},
    {cols_nonint, SP_ARRAY_LEN(cols_nonint), "AADNonInteractiveUserSignInLogs", "NonInteractiveUserSignInLogs"},
    {cols_sp, SP_ARRAY_LEN(cols_sp), "AADServicePrincipalSignInLogs", "ServicePrincipalSignInLogs"},
    {cols_mi, SP_ARRAY_LEN(cols_mi), "AADManagedIdentitySignInLogs", "ManagedIdentitySignInLogs"},
};

/* Event Hubs properties per table: the fields of its columns, in Entra's order. */
static uint8_t eh_props[4][F_N];
static uint8_t eh_nprops[4];
static pthread_once_t eh_once = PTHREAD_ONCE_INIT;

static void eh_init(void)
{
    for (int t = 0; t < 4; t++) {
        bool has[F_N] = {0};
        for (size_t i = 0; i < tables[t].n; i++)
            has[tables[t].cols[i].field] = true;
        has[F_IP] = has[F_CORR] = true; /* Entra repeats them inside properties */
        int n = 0;
        for (int f = F_FIRST_PROP; f < F_N; f++)
            if (has[f])
                eh_props[t][n++] = (uint8_t)f;
        eh_nprops[t] = (uint8_t)n;
    }
}

/* ---- values ---- */

typedef struct rctx {
    gen *g;
    const gen_world *w;
    const gen_signin *m;
    const gen_user *u;     /* user tables */
    const gen_app *app;    /* user tables */
    const gen_sp *sp;      /* workload tables */
    const gen_resource *res;
    const gen_ip *ip;
    const gen_ua *ua;
    bool user_table;
    bool eh;               /* rendering the Event Hubs form */
} rctx;

static const char *const car_names[CAR_N] = {"notApplied", "success", "failure", "notEnabled",
                                             "reportOnlySuccess", "reportOnlyFailure",
                                             "reportOnlyNotApplied", "reportOnlyInterrupted"};
static const char *const cas_names[] = {"success", "failure", "notApplied"};
static const char *const proto_names[PROTO_N] = {"none", "deviceCode", "ropc", "saml20", "wsFederation", "oAuth2"};
static const char *const risk_names[] = {"none", "low", "medium", "high"};
static const char *const risk_events[] = {"unfamiliarFeatures", "anonymizedIPAddress", "unlikelyTravel", "maliciousIPAddress"};
static const char *const cred_names[] = {"clientSecret", "clientAssertion", "federatedIdentityCredential", "certificate", "managedIdentity"};

static void put_str(sp_buf *b, const char *s)
{
    w_qstr(b, s);
}

/* Enumerations whose value is "none" (no risk, no protocol, no cross-tenant access, ...)
 * are left out: a row that says nothing about them reads the same, and most sign-ins
 * are such rows. */
static void put_enum(sp_buf *b, const char *s)
{
    if (strcmp(s, "none"))
        w_qstr(b, s);
}

/* Status.additionalDetails other than the code's own (MFA prompts the user denied). */
const char *const gen_status_details[] = {
    "", "MFA denied; user declined the authentication",
    "MFA denied; user did not respond to mobile app notification",
};

/* What a misconfigured (or someone else's) workload presents when a federated assertion
 * finds no matching credential, by FED_* kind. */
static const char *const bad_issuer[FED_N] = {
    "https://token.actions.githubusercontent.com/contoso", "https://app.vstoken.visualstudio.com",
    "https://westeurope.oic.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/",
};

/* The failure reason; for federated-assertion failures with the presented issuer,
 * subject and audience filled in, as Entra reports them. */
static void put_reason(const rctx *c, sp_buf *b)
{
    const gen_signin *m = c->m;
    const gen_error *e = &gen_errors[m->err];
    bool fic = !c->user_table && c->sp->cred == CRED_FIC;
    if (!fic || (e->code != 70021 && (e->code < 700211 || e->code > 700213))) {
        put_str(b, e->reason);
        return;
    }
    const char *iss = m->assert_iss ? m->assert_iss : e->code == 700211 ? bad_issuer[c->sp->fed] : c->sp->issuer;
    const char *sub = m->assert_sub ? m->assert_sub : e->code == 700213 ? c->sp->subject_pr : c->sp->subject;
    const char *aud = m->assert_aud ? m->assert_aud : e->code == 700212 ? "api://AzureADTokenExchange/contoso" : GEN_FIC_AUDIENCE;
    sp_buf *t = gen_scratch(c->g, 1);
    t->len = 0;
    for (const char *p = e->reason; *p; p++) {
        const char *val = NULL;
        size_t skip = 0;
        if (!strncmp(p, "{issuer}", 8))
            val = iss, skip = 8;
        else if (!strncmp(p, "{subject}", 9))
            val = sub, skip = 9;
        else if (!strncmp(p, "{audience}", 10))
            val = aud, skip = 10;
        if (val) {
            sp_buf_puts(t, val);
            p += skip - 1;
        } else {
            sp_buf_putc(t, *p);
        }
    }
    sp_buf_json_string(b, t->data, t->len);
}

static void put_status(const rctx *c, sp_buf *b)
{
    const gen_signin *m = c->m;
    const gen_error *e = &gen_errors[m->err];
    W_LIT(b, "{\"errorCode\":");
    w_u64(b, e->code);
    if (m->err) {
        W_LIT(b, ",\"failureReason\":");
        put_reason(c, b);
        if (m->status_detail) {
            W_LIT(b, ",\"additionalDetails\":");
            put_str(b, gen_status_details[m->status_detail]);
        } else if (e->detail) {
            W_LIT(b, ",\"additionalDetails\":");
            put_str(b, e->detail);
        }
    } else if (c->user_table && m->multi) {
        if (m->mfa_claim)
            W_LIT(b, ",\"additionalDetails\":\"MFA requirement satisfied by claim in the token\"");
        else
            W_LIT(b, ",\"additionalDetails\":\"MFA completed in Azure AD\"");
    }
    sp_buf_putc(b, '}');
}

static void put_device(const rctx *c, sp_buf *b)
{
    const gen_signin *m = c->m;
    const gen_user *u = c->u;
    if (!c->user_table) {
        W_LIT(b, "{}");
        return;
    }
    if (m->dev == DEV_NONE) {
        W_LIT(b, "{\"deviceId\":\"\",\"operatingSystem\":");
        put_str(b, c->ua->os);
        W_LIT(b, ",\"browser\":");
        put_str(b, c->ua->browser);
        sp_buf_putc(b, '}');
        return;
    }
    W_LIT(b, "{\"deviceId\":");
    w_qguid(b, guid_from(c->w->seed ^ 0xde71ce, m->user, m->dev));
    W_LIT(b, ",\"displayName\":");
    bool laptop = m->dev == DEV_LAPTOP;
    if (laptop)
        put_str(b, u->laptop);
    else
        put_str(b, (u->flags & U_ANDROID) ? "SM-S918B" : "iPhone");
    W_LIT(b, ",\"operatingSystem\":");
    put_str(b, c->ua->os[0] ? c->ua->os : (laptop ? "Windows10" : "Ios"));
    W_LIT(b, ",\"browser\":");
    put_str(b, c->ua->browser);
    if (laptop && !(u->flags & U_MAC))
        sp_buf_puts(b, (u->flags & U_HYBRID) ? ",\"isCompliant\":true,\"isManaged\":true,\"trustType\":\"Hybrid Azure AD joined\"}"
                                             : ",\"isCompliant\":true,\"isManaged\":true,\"trustType\":\"Azure AD joined\"}");
    else
        W_LIT(b, ",\"isCompliant\":true,\"isManaged\":true,\"trustType\":\"Azure AD registered\"}");
}

static void put_mfa(const rctx *c, sp_buf *b)
{
    const gen_signin *m = c->m;
    if (!c->user_table || !m->mfa)
        return; /* absent */
    const gen_mfa *f = &gen_mfas[m->mfa - 1];
    W_LIT(b, "{\"authMethod\":");
    put_str(b, f->method);
    if (f->detail) {
        W_LIT(b, ",\"authDetail\":\"");
        sp_buf_puts(b, f->detail);
        w_u64(b, 10 + m->user % 90);
        sp_buf_putc(b, '"');
    }
    sp_buf_putc(b, '}');
}

/* Only policies that took part in the decision are listed: a tenant's notApplied,
 * notEnabled and reportOnlyNotApplied entries are the bulk of a full array and exports
 * commonly trim them, so rows carry 0-4 policies. */
static bool policy_listed(uint8_t res)
{
    return res != CAR_NOTAPPLIED && res != CAR_NOTENABLED && res != CAR_RO_NOTAPPLIED;
}

static void put_policies(const rctx *c, sp_buf *b)
{
    sp_buf_putc(b, '[');
    bool first = true;
    for (size_t p = 0; c->user_table && p < gen_n_policies && p < GEN_MAX_POLICIES; p++) {
        const gen_policy_def *d = &gen_policies[p];
        if (!policy_listed(c->m->ca[p]))
            continue;
        if (!first)
            sp_buf_putc(b, ',');
        first = false;
        W_LIT(b, "{\"id\":\"");
        sp_buf_append(b, c->w->policy_ids[p], 36);
        W_LIT(b, "\",\"displayName\":");
        put_str(b, d->name);
        W_LIT(b, ",\"enforcedGrantControls\":");
        sp_buf_puts(b, d->grant);
        W_LIT(b, ",\"enforcedSessionControls\":");
        sp_buf_puts(b, d->session);
        W_LIT(b, ",\"result\":\"");
        sp_buf_puts(b, car_names[c->m->ca[p]]);
        W_LIT(b, "\"}");
    }
    sp_buf_putc(b, ']');
}

static void auth_step(sp_buf *b, int64_t t, const char *method, const char *detail, bool ok,
                      const char *result, const char *req)
{
    W_LIT(b, "{\"authenticationStepDateTime\":\"");
    w_dt_sec(b, t, true);
    W_LIT(b, "\",\"authenticationMethod\":");
    put_str(b, method);
    if (detail[0]) {
        W_LIT(b, ",\"authenticationMethodDetail\":");
        put_str(b, detail);
    }
    W_LIT(b, ",\"succeeded\":");
    if (ok)
        W_LIT(b, "true");
    else
        W_LIT(b, "false");
    W_LIT(b, ",\"authenticationStepResultDetail\":");
    put_str(b, result);
    W_LIT(b, ",\"authenticationStepRequirement\":");
    put_str(b, req);
    sp_buf_putc(b, '}'); /* Graph's shape: no StatusSequence/RequestSequence zeros */
}

static void put_auth_details(const rctx *c, sp_buf *b)
{
    const gen_signin *m = c->m;
    const gen_error *e = &gen_errors[m->err];
    int64_t t = m->created;
    sp_buf_putc(b, '[');
    if (m->table == GT_NONINT || (!m->err && m->mfa_claim)) {
        auth_step(b, t, "Previously satisfied", "", true,
                  m->multi ? "MFA requirement satisfied by claim in the token"
                           : "First factor requirement satisfied by claim in the token",
                  "Primary authentication");
    } else if (e->kind & ERRK_PREAUTH) {
        auth_step(b, t, "Password", "Password in the cloud", false,
                  e->code == 50126 ? "Invalid username or password or Invalid on-premise username or password."
                                   : e->reason,
                  "Primary authentication");
    } else {
        bool whfb = m->mfa == 4;
        if (whfb)
            auth_step(b, t, "Windows Hello for Business", "", true, "Correct PIN", "Primary authentication");
        else
            auth_step(b, t, "Password", "Password in the cloud", true, "Correct password",
                      "Primary authentication");
        if (m->mfa && !whfb) {
            sp_buf_putc(b, ',');
            bool ok = gen_errors[m->err].code != 500121;
            auth_step(b, t + 12 * SP_TICKS_PER_SEC, gen_mfas[m->mfa - 1].method, "", ok,
                      ok ? "MFA successfully completed"
                         : gen_status_details[m->status_detail ? m->status_detail : 2],
                      "Multi-factor authentication");
        } else if (e->code == 50074 || e->code == 50076) {
            sp_buf_putc(b, ',');
            auth_step(b, t, "", "", false, "MFA required in Azure AD", "Multi-factor authentication");
        }
    }
    sp_buf_putc(b, ']');
}

static void put_auth_proc(const rctx *c, sp_buf *b)
{
    if (!c->user_table) {
        if (c->m->table == GT_MI)
            W_LIT(b, "[{\"key\":\"Azure AD App Authentication Library\",\"value\":\"\"},{\"key\":\"IsManagedIdentitySignIn\",\"value\":\"True\"}]");
        else if (c->sp->cred == CRED_FIC)
            W_LIT(b, "[{\"key\":\"Azure AD App Authentication Library\",\"value\":\"Family: MSAL Library: MSAL.NET 4.66.1 Platform: .NET\"}]");
        else
            W_LIT(b, "[{\"key\":\"Azure AD App Authentication Library\",\"value\":\"\"}]");
        return;
    }
    /* only CAE-capable clients get details; the rest would say "Legacy TLS: False" */
    if (c->m->cae)
        W_LIT(b, "[{\"key\":\"Legacy TLS (TLS 1.0, 1.1, 3DES)\",\"value\":\"False\"},{\"key\":\"Is CAE Token\",\"value\":\"True\"}]");
}

static const char *app_owner(const rctx *c, char buf[37])
{
    if (!c->user_table)
        return c->w->tenant;
    if (c->app->owner == OWN_MICROSOFT)
        return GEN_MS_TENANT;
    if (c->app->owner == OWN_TENANT)
        return c->w->tenant;
    guid_str(guid_from(c->w->seed, 88, (uint64_t)c->m->app), buf);
    return buf;
}

/* The user typed their name (a password step), so the row records what they typed. */
static bool typed_identifier(const rctx *c)
{
    return c->m->table == GT_SIGNIN && !c->m->mfa_claim;
}

static void put_field(const rctx *c, int f, sp_buf *b)
{
    const gen_signin *m = c->m;
    const gen_world *w = c->w;
    char tmp[40];
    switch (f) {
    case F_TIME: w_qdt(b, m->time); break;
    case F_CREATED:
        if (c->eh) {
            sp_buf_putc(b, '"');
            w_dt_offset(b, m->created, m->eh_offset_min);
            sp_buf_putc(b, '"');
        } else {
            w_qdt(b, m->created);
        }
        break;
    case F_RESID_TOP:
        W_LIT(b, "\"/tenants/");
        sp_buf_append(b, w->tenant, 36);
        W_LIT(b, "/providers/Microsoft.aadiam\"");
        break;
    case F_OPNAME: W_LIT(b, "\"Sign-in activity\""); break;
    case F_OPVER: W_LIT(b, "\"1.0\""); break;
    case F_CATEGORY: put_str(b, tables[m->table].category); break;
    case F_RESTENANT:
        if (m->res_tenant) {
            sp_buf_putc(b, '"');
            sp_buf_append(b, m->res_tenant, 36);
            sp_buf_putc(b, '"');
            break;
        }
        /* fall through */
    case F_AADTENANT:
        sp_buf_putc(b, '"');
        sp_buf_append(b, w->tenant, 36);
        sp_buf_putc(b, '"');
        break;
    case F_RESULTTYPE:
        sp_buf_putc(b, '"');
        w_u64(b, gen_errors[m->err].code);
        sp_buf_putc(b, '"');
        break;
    case F_RESULTSIG: W_LIT(b, "\"None\""); break;
    case F_RESULTDESC: put_reason(c, b); break;
    case F_DURATION:
        if (c->eh && m->eh_duration_str)
            W_LIT(b, "\"0\"");
        else
            W_LIT(b, "0");
        break;
    case F_IDENTITY: put_str(b, c->user_table ? c->u->name : c->sp->name); break;
    case F_LEVEL:
        if (c->eh && m->eh_level_num)
            W_LIT(b, "4");
        else
            W_LIT(b, "\"4\"");
        break;
    case F_LOCCC: put_str(b, gen_cities[c->ip->city].cc); break;
    case F_WS_TENANT:
        sp_buf_putc(b, '"');
        sp_buf_append(b, w->workspace, 36);
        sp_buf_putc(b, '"');
        break;
    case F_WS_SOURCESYS: W_LIT(b, "\"Azure AD\""); break;
    case F_WS_TYPE: put_str(b, tables[m->table].name); break;
    case F_WS_RES: W_LIT(b, "\"Microsoft.aadiam\""); break;
    case F_EMPTY: W_LIT(b, "\"\""); break;
    case F_ID: w_qguid(b, m->id); break;
    case F_ORIGREQ: /* the first request of a multi-request flow (password, then MFA) */
        if (m->mfa)
            w_qguid(b, m->id);
        break;
    case F_USERDISPLAY: put_str(b, c->user_table ? c->u->name : ""); break;
    case F_UPN: put_str(b, c->user_table ? c->u->upn : ""); break;
    case F_SIGNINID: /* what the user typed: absent when a token signed them in */
        if (typed_identifier(c))
            put_str(b, c->u->upn);
        break;
    case F_USERID:
        sp_buf_putc(b, '"');
        if (c->user_table)
            sp_buf_append(b, c->u->oid, 36);
        sp_buf_putc(b, '"');
        break;
    case F_APPID:
        sp_buf_putc(b, '"');
        sp_buf_append(b, c->user_table ? c->app->id : c->sp->app_id, 36);
        sp_buf_putc(b, '"');
        break;
    case F_APPNAME: put_str(b, c->user_table ? c->app->name : c->sp->name); break;
    case F_IP:
        sp_buf_putc(b, '"');
        sp_buf_append(b, c->ip->s, c->ip->len);
        sp_buf_putc(b, '"');
        break;
    case F_STATUS: put_status(c, b); break;
    case F_CLIENTAPP: put_str(b, c->user_table ? gen_clients[m->client].name : ""); break;
    case F_UA: put_str(b, c->user_table ? c->ua->ua : ""); break;
    case F_DEVICE: put_device(c, b); break;
    case F_LOCDETAIL: sp_buf_puts(b, world_location((gen_world *)w, c->ip->city)); break;
    case F_MFA: put_mfa(c, b); break;
    case F_CORR: w_qguid(b, m->corr); break;
    case F_CASTATUS: put_str(b, cas_names[m->ca_status]); break;
    case F_CAPOL: put_policies(c, b); break;
    case F_AUTHCTX: case F_EVENTLISTENERS: case F_AUTHMETHODS: break; /* always empty: absent */
    case F_ISINTERACTIVE:
        if (m->table == GT_SIGNIN)
            W_LIT(b, "true");
        else
            W_LIT(b, "false");
        break;
    case F_TOKISSUERNAME: W_LIT(b, "\"\""); break;
    case F_TOKISSUERTYPE: W_LIT(b, "\"AzureAD\""); break;
    case F_AUTHPROC: put_auth_proc(c, b); break;
    case F_NETLOC:
        if (m->trusted) {
            const char *site = gen_offices[c->u->office].site;
            W_LIT(b, "[{\"networkType\":\"namedNetwork\",\"networkNames\":[");
            put_str(b, site);
            W_LIT(b, "]},{\"networkType\":\"trustedNamedLocation\",\"networkNames\":[");
            put_str(b, site);
            W_LIT(b, "]}]");
        } else {
            W_LIT(b, "[]");
        }
        break;
    case F_CREDTYPE:
        put_enum(b, c->user_table ? "none" : cred_names[c->sp->cred]);
        break;
    case F_PROCMS: /* Entra's own processing time: no detection reads it */
        if (!c->user_table)
            w_u64(b, m->proc_ms);
        break;
    case F_RISKDETAIL: break; /* "none": nobody remediated a risk */
    case F_RISKAGG: case F_RISKDURING: put_enum(b, risk_names[m->risk]); break;
    case F_RISKSTATE: put_enum(b, m->risk >= 2 ? "atRisk" : "none"); break;
    case F_RISKEVENTS: case F_RISKEVENTS2:
        if (m->risk) {
            W_LIT(b, "[\"");
            sp_buf_puts(b, risk_events[m->risk_event]);
            W_LIT(b, "\"]");
        }
        break;
    case F_RESNAME: put_str(b, c->res->name); break;
    case F_RESID:
        sp_buf_putc(b, '"');
        sp_buf_append(b, c->res->id, 36);
        sp_buf_putc(b, '"');
        break;
    case F_HOMETENANT:
        sp_buf_putc(b, '"');
        sp_buf_append(b, c->user_table ? c->u->home_tenant : w->tenant, 36);
        sp_buf_putc(b, '"');
        break;
    case F_AUTHDETAILS: put_auth_details(c, b); break;
    case F_AUTHREQPOL: break; /* repeats AuthenticationRequirement and the CA policies */
    case F_AUTHREQ:
        if (m->multi)
            W_LIT(b, "\"multiFactorAuthentication\"");
        else
            W_LIT(b, "\"singleFactorAuthentication\"");
        break;
    case F_SIGNINIDTYPE:
        if (typed_identifier(c))
            W_LIT(b, "\"userPrincipalName\"");
        break;
    case F_SPID:
        sp_buf_putc(b, '"');
        if (!c->user_table)
            sp_buf_append(b, c->sp->sp_oid, 36);
        sp_buf_putc(b, '"');
        break;
    case F_SPNAME: put_str(b, c->user_table ? "" : c->sp->name); break;
    case F_USERTYPE: put_str(b, (c->u->flags & U_GUEST) ? "Guest" : "Member"); break;
    case F_FLAGGED: case F_TENANTRESTRICTED: case F_GSA: break; /* false: left out */
    case F_ASN: w_u64(b, gen_isps[c->ip->isp].asn); break;
    case F_CROSSTENANT: /* a guest here, or one of ours in another tenant */
        put_enum(b, (c->user_table && ((c->u->flags & U_GUEST) || m->res_tenant)) ? "b2bCollaboration" : "none");
        break;
    case F_ISRISKY: /* like the other risk columns, only said when there is risk */
        if (m->risk >= 2)
            W_LIT(b, "true");
        break;
    case F_UTI:
        sp_buf_putc(b, '"');
        w_b64url16(b, m->uti);
        sp_buf_putc(b, '"');
        break;
    case F_INCOMINGTOKEN:
        if (c->user_table && m->dev == DEV_LAPTOP && c->ua->platform == OS_WIN && m->client == 1)
            W_LIT(b, "\"primaryRefreshToken\"");
        else if (m->table == GT_NONINT)
            W_LIT(b, "\"refreshToken\"");
        break; /* "none" is left out */
    case F_AUTHPROTO: put_enum(b, c->user_table ? proto_names[m->proto] : "none"); break;
    case F_TRANSFER: put_enum(b, m->proto == PROTO_DEVICECODE ? "deviceCodeFlow" : "none"); break;
    case F_SESSIONID: w_qguid(b, m->session); break;
    case F_SESSIONPOL:
        if (gen_errors[m->err].code == 70044)
            W_LIT(b, "[{\"expirationRequirement\":\"signInFrequencyPeriodicReauthentication\",\"detail\":\"Sign-in frequency periodic reauthentication\"}]");
        break;
    case F_APPOWNER:
        if (c->user_table)
            break; /* user rows: the owner of a well-known or enterprise app id */
        sp_buf_putc(b, '"');
        sp_buf_append(b, app_owner(c, tmp), 36);
        sp_buf_putc(b, '"');
        break;
    case F_RESOWNER:
        if (c->user_table)
            break; /* user rows: ResourceIdentity names the resource; see the header */
        sp_buf_putc(b, '"');
        sp_buf_append(b, (size_t)(c->res - w->resources) < gen_n_resources ? GEN_MS_TENANT : w->tenant, 36);
        sp_buf_putc(b, '"');
        break;
    case F_RESSPID:
        if (c->user_table)
            break;
        sp_buf_putc(b, '"');
        sp_buf_append(b, c->res->sp_oid, 36);
        sp_buf_putc(b, '"');
        break;
    case F_CAAUD:
        if (c->user_table)
            break; /* the resource again (ResourceIdentity) */
        W_LIT(b, "[\"");
        sp_buf_append(b, c->res->id, 36);
        W_LIT(b, "\"]");
        break;
    case F_TOKPROT:
        /* said for sessions bound to a device key; absent reads as unbound */
        if (c->user_table && m->dev == DEV_LAPTOP && c->ua->platform == OS_WIN)
            W_LIT(b, "{\"signInSessionStatus\":\"bound\"}");
        break;
    case F_AGENT: break; /* {"agentType":"notAgentic"}: no agent involved, left out */
    case F_SIGNINEVENTTYPES: W_LIT(b, "[\"nonInteractiveUser\"]"); break;
    case F_KEYID:
        sp_buf_putc(b, '"');
        if (!c->user_table && c->sp->cred != CRED_FIC && c->sp->cred != CRED_MSI)
            sp_buf_append(b, c->sp->key_id, 36);
        sp_buf_putc(b, '"');
        break;
    case F_THUMB:
        sp_buf_putc(b, '"');
        if (!c->user_table && (c->sp->cred == CRED_CERT || c->sp->cred == CRED_ASSERTION))
            sp_buf_append(b, c->sp->thumb, 40);
        sp_buf_putc(b, '"');
        break;
    case F_FICID:
        sp_buf_putc(b, '"');
        if (!c->user_table && c->sp->cred == CRED_FIC)
            sp_buf_append(b, m->fic_id ? m->fic_id : c->sp->fic_id, 36);
        sp_buf_putc(b, '"');
        break;
    case F_MSI:
        W_LIT(b, "{\"msiType\":");
        put_str(b, c->sp->msi_user ? "userAssigned" : "systemAssigned");
        W_LIT(b, ",\"associatedResourceId\":");
        put_str(b, m->msi_assoc ? m->msi_assoc : c->sp->arm_id ? c->sp->arm_id : "");
        sp_buf_putc(b, '}');
        break;
    default: W_LIT(b, "null"); break;
    }
}

/* Writes field f as a Log Analytics value of column type `type`. */
static void put_la(const rctx *c, int f, uint8_t type, sp_buf *b)
{
    if (type == T_STR && field_kind[f] != K_STR) {
        sp_buf *s = gen_scratch(c->g, 0);
        s->len = 0;
        put_field(c, f, s);
        if (s->len) /* absent stays absent */
            w_as_text(b, s->data, s->len);
        return;
    }
    put_field(c, f, b);
}

void signin_render(gen *g, const gen_signin *m, gen_envelope env, sp_buf *out, gen_event *ev)
{
    pthread_once(&eh_once, eh_init);
    gen_world *w = gen_world_of(g);
    rctx c = {.g = g, .w = w, .m = m};
    c.user_table = m->table <= GT_NONINT;
    c.ip = &w->ips[m->ip];
    c.res = &w->resources[m->resource];
    if (c.user_table) {
        c.u = &w->users[m->user];
        c.app = &w->apps[m->app];
        c.ua = &gen_uas[m->ua];
    } else {
        c.sp = m->table == GT_MI ? &w->mis[m->sp] : &w->sps[m->sp];
        c.ua = &gen_uas[0];
    }
    const table_cols *tc = &tables[m->table];
    sp_buf_reserve(out, 4096);
    if (env == GEN_ENV_EVENTHUBS) {
        static const uint8_t top[] = {F_TIME, F_RESID_TOP, F_OPNAME, F_OPVER, F_CATEGORY,
                                      F_AADTENANT, F_RESULTTYPE, F_RESULTSIG, F_RESULTDESC,
                                      F_DURATION, F_IP, F_CORR, F_IDENTITY, F_LEVEL, F_LOCCC};
        c.eh = true;
        sp_buf_putc(out, '{');
        for (size_t i = 0; i < sizeof top; i++) {
            if (i)
                sp_buf_putc(out, ',');
            sp_buf_putc(out, '"');
            sp_buf_puts(out, top[i] == F_IP ? "callerIpAddress" : field_key[top[i]]);
            W_LIT(out, "\":");
            put_field(&c, top[i], out);
        }
        W_LIT(out, ",\"properties\":{");
        bool first = true;
        for (int i = 0; i < eh_nprops[m->table]; i++) {
            int f = eh_props[m->table][i];
            size_t mark = out->len;
            if (!first)
                sp_buf_putc(out, ',');
            sp_buf_putc(out, '"');
            sp_buf_puts(out, field_key[f]);
            W_LIT(out, "\":");
            size_t val = out->len;
            put_field(&c, f, out);
            if (out->len == val)
                out->len = mark; /* absent field */
            else
                first = false;
        }
        W_LIT(out, "}}");
    } else {
        /* Columns whose value is the empty string are left out, as exports do: a
         * missing string column reads as "" (DESIGN.md §5), so nothing is lost. Fields
         * a sign-in does not have (empty arrays Entra leaves out, no MFA step) write
         * nothing and are left out of both forms alike. */
        sp_buf_putc(out, '{');
        bool first = true;
        for (size_t i = 0; i < tc->n; i++) {
            size_t mark = out->len;
            if (!first)
                sp_buf_putc(out, ',');
            sp_buf_putc(out, '"');
            sp_buf_puts(out, tc->cols[i].name);
            W_LIT(out, "\":");
            size_t val = out->len;
            put_la(&c, tc->cols[i].field, tc->cols[i].type, out);
            if (out->len == val || (out->len - val == 2 && out->data[val] == '"'))
                out->len = mark;
            else
                first = false;
        }
        sp_buf_putc(out, '}');
    }
    gen_event_set(g, ev, m->id, c.user_table ? c.u->oid : c.sp->sp_oid, m->time);
}
