/* copilot.c — CopilotActivity: Microsoft 365 Copilot interactions as Purview audit
 * records (Office 365 Management Activity API, RecordType 261, CopilotInteraction) and
 * as Log Analytics CopilotActivity rows.
 *
 * The Purview shape follows Microsoft's copilot-schema examples key for key (top-level
 * order, CopilotEventData keys in alphabetical order, CreationTime without a zone,
 * ClientIP forms such as `ffff:10.11.0.229`). Licensed users of the shared world ask
 * Copilot in Teams, Outlook, Word, Excel, PowerPoint, Microsoft 365 Chat, Bing and
 * Copilot Studio agents; the documents Copilot reads carry sensitivity labels from a
 * fixed tenant label set, mostly none or low, sometimes Confidential or Highly
 * Confidential (with the DLP policy that matched).
 */
#include "bench/gen/gen_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Tenant sensitivity labels (fixed ids so rules can name them) and their rank in the
 * sensitivity_labels watchlist: a user may read content up to their clearance
 * (user_clearance watchlist). Order = LBL_* (gen_int.h). */
static const struct {
    const char *name, *id;
    uint8_t rank;
} labels[LBL_N] = {
    {"Public", "0e5a4d61-3d1b-4b8e-9f0c-6a2b7c1d5e01", 1},
    {"General", "1f6b5e72-4e2c-4c9f-8a1d-7b3c8d2e6f02", 2},
    {"Confidential", "2a7c6f83-5f3d-4dae-9b2e-8c4d9e3f7a03", 4},
    {"Confidential\\All Employees", "3b8d7a94-6a4e-4ebf-8c3f-9d5eaf4a8b04", 3},
    {"Highly Confidential", "4c9e8ba5-7b5f-4fc0-9d4a-ae6fba5b9c05", 5},
    {"Highly Confidential\\Specified People", "5daf9cb6-8c6a-40d1-8e5b-bf7acb6cad06", 6},
};

static const char *const apphost_names[AH_N] = {"Teams", "Outlook", "Word", "Excel", "PowerPoint",
                                                "BizChat", "Bing", "Loop", "Copilot Studio"};
static const uint16_t apphost_weight[AH_N] = {300, 150, 150, 80, 70, 120, 80, 20, 30};

/* Label and app host pairs the tenant's policy forbids (copilot_forbidden_hosts
 * watchlist): web-grounded Bing chat and Copilot Studio agents may not surface
 * Confidential content and above; Specified People content stays out of Teams chats. */
static const struct {
    uint8_t label, host;
    const char *reason;
} forbidden[] = {
    {LBL_CONFIDENTIAL, AH_BING, "Web-grounded chat may not use Confidential content"},
    {LBL_HIGHLY, AH_BING, "Web-grounded chat may not use Highly Confidential content"},
    {LBL_HIGHLY_SP, AH_BING, "Web-grounded chat may not use Highly Confidential content"},
    {LBL_HIGHLY, AH_STUDIO, "Copilot Studio agents may not use Highly Confidential content"},
    {LBL_HIGHLY_SP, AH_STUDIO, "Copilot Studio agents may not use Highly Confidential content"},
    {LBL_HIGHLY_SP, AH_TEAMS, "Specified People content may not surface in Teams chats"},
};

const char *const copilot_sites[CP_N_SITES] = {"Finance", "HR", "Legal", "Engineering", "Sales", "Marketing",
                                               "Executive", "IT", "Security", "Procurement"};
static const bool site_sensitive[CP_N_SITES] = {1, 1, 1, 0, 0, 0, 1, 0, 1, 0};
const char *const copilot_docs[CP_N_DOCS] = {
    "Q3 Forecast.xlsx", "Board Deck FY27.pptx", "Project Phoenix Plan.docx", "Customer List.xlsx",
    "Salary Bands 2026.xlsx", "Incident Postmortem.docx", "Architecture Overview.pptx",
    "Meeting Notes.docx", "Contract - Northwind Traders.docx", "Roadmap H1.pptx",
    "Budget Tracker.xlsx", "Onboarding Guide.docx", "Pricing Model.xlsx", "Vendor Assessment.docx",
    "Reorg Proposal (Draft).docx", "Sales Pipeline.xlsx", "Security Review.docx",
    "All Hands Slides.pptx", "Travel Policy.docx", "Headcount Plan.xlsx",
};
#define sites copilot_sites
#define docs copilot_docs

/* AI plugins and agents. The tenant's own Copilot Studio agents and Microsoft's built-in
 * web search are approved (approved_ai_plugins watchlist); the third-party plugins and
 * agents are not. Order = CPX_* (gen_int.h). */
static const char *const agents[] = {"HR Policy Agent", "IT Helpdesk Agent", "Sales Coach", "Contract Reviewer"};
static const struct {
    const char *name, *publisher, *version;
    bool agent; /* a declarative agent (AgentId) rather than a plugin */
} third_party[CPX_N] = {
    {"Jira Cloud", "Atlassian", "2.4.1", false},
    {"Salesforce CRM", "Salesforce", "1.9.0", false},
    {"LexiAI Contract Analyzer", "LexiAI Ltd", "0.7.2", true},
};

int copilot_label_rank(int label)
{
    return label == LABEL_NONE ? 0 : labels[label].rank;
}

bool copilot_forbidden(int label, int apphost)
{
    for (size_t i = 0; i < SP_ARRAY_LEN(forbidden); i++)
        if (forbidden[i].label == label && forbidden[i].host == apphost)
            return true;
    return false;
}

_Static_assert(sizeof(struct gen_copilot) <= GEN_MODEL_BYTES, "model too large");

typedef struct cp_stream {
    gen_stream base;
    gen_rng rng;
    gen_world *w;
    gen_alias hosts;
    int64_t clock;
    double mean_gap;
} cp_stream;

static void cp_advance(cp_stream *s)
{
    s->clock += (int64_t)(s->mean_gap * rng_exp1(&s->rng) / world_mult(s->w, s->clock)) + 1;
    s->base.next = s->clock;
}

static uint8_t pick_label(gen_rng *r, bool sensitive)
{
    uint32_t x = rng_below(r, 100);
    if (sensitive) {
        return x < 35 ? LABEL_NONE : x < 50 ? 1 : x < 75 ? 2 + (uint8_t)rng_below(r, 2) : 4 + (uint8_t)rng_below(r, 2);
    }
    return x < 62 ? LABEL_NONE : x < 77 ? 1 : x < 85 ? 0 : x < 97 ? 2 + (uint8_t)rng_below(r, 2) : 4;
}

gen_guid copilot_doc_id(const gen_world *w, const cp_res *cr, uint32_t user)
{
    return guid_from(w->seed ^ 0xd0c, (uint64_t)cr->site * 64 + cr->doc, cr->onedrive ? user : 0);
}

void copilot_fill(const gen_world *w, struct gen_copilot *m, gen_rng *r, uint32_t u, uint8_t apphost, int64_t t)
{
    memset(m, 0, sizeof *m);
    m->time = t;
    m->id = rng_guid(r);
    m->user = u;
    const gen_user *usr = &w->users[u];
    const gen_office *of = &w->offices[usr->office];
    uint32_t x = rng_below(r, 100);
    if (x < 45) {
        m->ip = of->egress + rng_below(r, of->n_egress);
        if (rng_bp(r, 4000)) {
            m->ip_form = 1;
            m->priv[0] = 10;
            m->priv[1] = (uint8_t)(usr->office + 10);
            m->priv[2] = (uint8_t)rng_below(r, 8);
            m->priv[3] = (uint8_t)(2 + rng_below(r, 250));
        }
    } else if (x < 80) {
        m->ip = (usr->home6 != UINT32_MAX && rng_bp(r, 4000)) ? usr->home6 : usr->home4;
    } else {
        m->ip = world_mobile_ip(w, r, usr->city);
    }
    m->apphost = apphost;
    m->thread = guid_from(w->seed ^ 0x7ead, u, (uint64_t)(m->time / (2 * SP_TICKS_PER_HOUR)) * 16 + m->apphost);
    m->n_msgs = (uint8_t)(2 + 2 * rng_below(r, 3));
    /* resources Copilot read to answer */
    uint32_t maxres = m->apphost == AH_BIZCHAT ? 5 : m->apphost <= AH_PPT ? 2 : m->apphost == AH_BING ? 1 : 3;
    m->n_res = (uint8_t)rng_below(r, maxres + 1);
    if (m->apphost >= AH_WORD && m->apphost <= AH_PPT && m->n_res == 0)
        m->n_res = 1; /* the open document */
    for (int i = 0; i < m->n_res; i++) {
        cp_res *cr = &m->res[i];
        cr->site = (uint8_t)rng_below(r, CP_N_SITES);
        cr->doc = (uint8_t)rng_below(r, CP_N_DOCS);
        if (m->apphost >= AH_WORD && m->apphost <= AH_PPT && i == 0) {
            static const char *const ext[] = {"docx", "xlsx", "pptx"};
            do
                cr->doc = (uint8_t)rng_below(r, CP_N_DOCS);
            while (!strstr(docs[cr->doc], ext[m->apphost - AH_WORD]));
        }
        cr->onedrive = rng_bp(r, 3000);
        cr->label = pick_label(r, site_sensitive[cr->site] && !cr->onedrive);
        m->res_id[i] = copilot_doc_id(w, cr, u);
    }
    m->ctx_kind = m->apphost == AH_TEAMS ? (uint8_t)(1 + rng_below(r, 3)) : 0;
    m->plugin = (m->apphost == AH_BIZCHAT || m->apphost == AH_BING) && rng_bp(r, 4500) ? CPP_BING
                : m->apphost == AH_STUDIO                                              ? CPP_TENANT_AGENT
                                                                                       : CPP_NONE;
    m->agent = (uint8_t)rng_below(r, (uint32_t)SP_ARRAY_LEN(agents));
    if (m->apphost == AH_BIZCHAT && rng_bp(r, 300)) { /* a third-party plugin, now and then */
        m->plugin = CPP_THIRD_PARTY;
        m->agent = (uint8_t)rng_below(r, 2);
    }
    m->model = (m->apphost == AH_BIZCHAT || m->apphost == AH_BING) && rng_bp(r, 6000);
}

/* Background interactions obey the tenant's rules: nothing above the user's clearance,
 * no forbidden label and host pair, nothing above Confidential through a plugin or
 * agent the tenant did not approve. The scenarios break exactly these. */
static void cp_within_policy(const gen_world *w, struct gen_copilot *m)
{
    int clearance = w->users[m->user].clearance;
    for (int i = 0; i < m->n_res; i++) {
        cp_res *cr = &m->res[i];
        if (cr->label == LABEL_NONE)
            continue;
        bool third = m->plugin >= CPP_THIRD_PARTY && copilot_label_rank(cr->label) > labels[LBL_CONFIDENTIAL].rank;
        if (copilot_label_rank(cr->label) > clearance || copilot_forbidden(cr->label, m->apphost) || third)
            cr->label = LBL_GENERAL;
    }
}

static void cp_emit(gen_stream *base, gen *g, void *model)
{
    (void)g;
    cp_stream *s = (cp_stream *)base;
    gen_rng *r = &s->rng;
    const gen_world *w = s->w;
    struct gen_copilot *m = model;
    /* a licensed user active at this hour */
    uint32_t u;
    int tries = 0;
    do
        u = world_pick_user(w, r, s->clock);
    while ((w->users[u].flags & (U_COPILOT | U_GUEST)) != U_COPILOT && ++tries < 8);
    if ((w->users[u].flags & (U_COPILOT | U_GUEST)) != U_COPILOT)
        u = w->copilot_users[rng_below(r, w->n_copilot_users)];
    uint8_t host = (uint8_t)alias_draw(&s->hosts, r);
    copilot_fill(w, m, r, u, host, s->clock);
    cp_within_policy(w, m);
    cp_advance(s);
}

static void cp_free(gen_stream *base)
{
    cp_stream *s = (cp_stream *)base;
    alias_free(&s->hosts);
    free(s);
}

gen_stream *copilot_stream_new(gen *g)
{
    const struct gen_ctx_view *c = gen_ctx(g);
    cp_stream *s = sp_xcalloc(1, sizeof *s);
    s->base.emit = cp_emit;
    s->base.free = cp_free;
    s->w = c->world;
    rng_seed(&s->rng, c->seed, 400);
    double wts[AH_N];
    for (int i = 0; i < AH_N; i++)
        wts[i] = apphost_weight[i];
    alias_init(&s->hosts, wts, AH_N);
    s->mean_gap = (double)SP_TICKS_PER_SEC / c->rates[GT_COPILOT];
    s->clock = c->start;
    cp_advance(s);
    return &s->base;
}

/* ---- rendering ---- */

/* Appends s with spaces as %20, as SharePoint URLs carry them. */
static void url_part(sp_buf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == ' ')
            W_LIT(b, "%20");
        else
            sp_buf_putc(b, *s);
    }
}

static void doc_url(sp_buf *b, const gen_user *u, const cp_res *cr)
{
    if (cr->onedrive) {
        W_LIT(b, "https://contoso-my.sharepoint.com/personal/");
        for (const char *p = u->upn; *p; p++)
            sp_buf_putc(b, (*p == '@' || *p == '.') ? '_' : *p);
        W_LIT(b, "/Documents/");
    } else {
        W_LIT(b, "https://contoso.sharepoint.com/sites/");
        sp_buf_puts(b, sites[cr->site]);
        W_LIT(b, "/Shared%20Documents/");
    }
    url_part(b, docs[cr->doc]);
}

static const char *doc_ext(const cp_res *cr)
{
    const char *dot = strrchr(docs[cr->doc], '.');
    return dot ? dot + 1 : "";
}

gen_guid copilot_plugin_id(const gen_world *w, int plugin, int which)
{
    return guid_from(w->seed ^ 0xa6e, (uint64_t)which, plugin == CPP_TENANT_AGENT ? 1 : 2);
}

/* AgentId/AgentName: the agent the user talked to (a tenant Copilot Studio agent, or a
 * third-party declarative agent). */
static void put_agent(const gen_world *w, const struct gen_copilot *m, sp_buf *out)
{
    const char *name = NULL;
    if (m->plugin == CPP_TENANT_AGENT && m->apphost == AH_STUDIO)
        name = agents[m->agent];
    else if (m->plugin == CPP_THIRD_PARTY_AGENT)
        name = third_party[m->agent].name;
    if (!name)
        return;
    W_LIT(out, ",\"AgentId\":");
    w_qguid(out, copilot_plugin_id(w, m->plugin, m->agent));
    W_LIT(out, ",\"AgentName\":");
    w_qstr(out, name);
}

/* CopilotEventData, keys in the order the audit records use. */
static void put_event_data(gen *g, const struct gen_copilot *m, sp_buf *b)
{
    const gen_world *w = gen_world_of(g);
    const gen_user *u = &w->users[m->user];
    sp_buf *url = gen_scratch(g, 1);
    W_LIT(b, "{\"AISystemPlugin\":[");
    if (m->plugin == CPP_BING) {
        W_LIT(b, "{\"Id\":\"BingWebSearch\",\"Name\":\"BuiltIn\"}");
    } else if (m->plugin == CPP_TENANT_AGENT) {
        W_LIT(b, "{\"Id\":");
        w_qguid(b, copilot_plugin_id(w, m->plugin, m->agent));
        W_LIT(b, ",\"Name\":");
        w_qstr(b, agents[m->agent]);
        W_LIT(b, ",\"Version\":\"1.0.");
        w_u64(b, 3 + m->agent);
        W_LIT(b, "\"}");
    } else if (m->plugin >= CPP_THIRD_PARTY) {
        W_LIT(b, "{\"Id\":");
        w_qguid(b, copilot_plugin_id(w, m->plugin, m->agent));
        W_LIT(b, ",\"Name\":");
        w_qstr(b, third_party[m->agent].name);
        W_LIT(b, ",\"Version\":");
        w_qstr(b, third_party[m->agent].version);
        sp_buf_putc(b, '}');
    }
    W_LIT(b, "],\"AccessedResources\":[");
    for (int i = 0; i < m->n_res; i++) {
        const cp_res *cr = &m->res[i];
        if (i)
            sp_buf_putc(b, ',');
        W_LIT(b, "{\"Action\":\"Read\",\"Id\":");
        w_qguid(b, m->res_id[i]);
        W_LIT(b, ",\"Name\":");
        w_qstr(b, docs[cr->doc]);
        if (cr->label == LBL_HIGHLY || cr->label == LBL_HIGHLY_SP) { /* the DLP policy matched */
            W_LIT(b, ",\"PolicyDetails\":[{\"PolicyId\":");
            w_qguid(b, guid_from(w->seed, 61, 0));
            W_LIT(b, ",\"PolicyName\":\"Restrict Copilot from Highly Confidential content\",\"Rules\":[{\"RuleId\":");
            w_qguid(b, guid_from(w->seed, 61, 1));
            W_LIT(b, ",\"RuleName\":\"Highly Confidential label\"}]}]");
        }
        if (cr->label != LABEL_NONE) {
            W_LIT(b, ",\"SensitivityLabelId\":\"");
            sp_buf_puts(b, labels[cr->label].id);
            sp_buf_putc(b, '"');
        }
        W_LIT(b, ",\"SiteUrl\":");
        url->len = 0;
        doc_url(url, u, cr);
        W_LIT(url, "?web=1");
        sp_buf_json_string(b, url->data, url->len);
        W_LIT(b, ",\"Type\":");
        w_qstr(b, doc_ext(cr));
        if (cr->xpia)
            W_LIT(b, ",\"XPIADetected\":true");
        else
            W_LIT(b, ",\"XPIADetected\":false");
        W_LIT(b, ",\"listItemUniqueId\":");
        w_qguid(b, m->res_id[i]);
        sp_buf_putc(b, '}');
    }
    W_LIT(b, "],\"AppHost\":");
    w_qstr(b, apphost_names[m->apphost]);
    W_LIT(b, ",\"Contexts\":[");
    if (m->apphost >= AH_WORD && m->apphost <= AH_PPT && m->n_res) {
        url->len = 0;
        doc_url(url, u, &m->res[0]);
        W_LIT(b, "{\"Id\":");
        sp_buf_json_string(b, url->data, url->len);
        W_LIT(b, ",\"Type\":");
        w_qstr(b, doc_ext(&m->res[0]));
        sp_buf_putc(b, '}');
    } else if (m->ctx_kind) {
        static const char *const kinds[] = {"", "TeamsMeeting", "TeamsChat", "TeamsChannel"};
        W_LIT(b, "{\"Id\":\"19:");
        w_b64url16(b, guid_from(w->seed ^ 0x7ea5, m->user, m->ctx_kind));
        W_LIT(b, "@thread.v2\",\"Type\":");
        w_qstr(b, kinds[m->ctx_kind]);
        sp_buf_putc(b, '}');
    }
    W_LIT(b, "],\"MessageIds\":[],\"Messages\":[");
    int64_t ms = gen_unix_ms(m->time);
    for (int i = 0; i < m->n_msgs; i++) {
        if (i)
            sp_buf_putc(b, ',');
        W_LIT(b, "{\"Id\":\"");
        w_i64(b, ms - 1000 * (m->n_msgs - i) + (int64_t)(m->id.lo % 700) + i * 350);
        if (m->jailbreak & (1u << i)) /* Prompt Shields flagged this message */
            W_LIT(b, "\",\"JailbreakDetected\":true,\"isPrompt\":");
        else
            W_LIT(b, "\",\"JailbreakDetected\":false,\"isPrompt\":");
        if (i % 2 == 0)
            W_LIT(b, "true}");
        else
            W_LIT(b, "false}");
    }
    W_LIT(b, "],\"ModelTransparencyDetails\":[");
    if (m->model)
        W_LIT(b, "{\"ModelName\":\"DEEP_LEO\"}");
    W_LIT(b, "],\"ThreadId\":\"19:");
    w_b64url16(b, m->thread);
    w_b64url16(b, guid_from(m->thread.hi, m->thread.lo, 7));
    W_LIT(b, "@thread.v2\"}");
}

static void put_client_ip(const gen_world *w, const struct gen_copilot *m, sp_buf *b)
{
    sp_buf_putc(b, '"');
    if (m->ip_form == 1) {
        W_LIT(b, "ffff:");
        for (int i = 0; i < 4; i++) {
            if (i)
                sp_buf_putc(b, '.');
            w_u64(b, m->priv[i]);
        }
    } else {
        sp_buf_append(b, w->ips[m->ip].s, w->ips[m->ip].len);
    }
    sp_buf_putc(b, '"');
}

void copilot_render(gen *g, const void *model, gen_envelope env, sp_buf *out, gen_event *ev)
{
    const struct gen_copilot *m = model;
    const gen_world *w = gen_world_of(g);
    const gen_user *u = &w->users[m->user];
    const char *cc = gen_cities[w->ips[m->ip].city].cc;
    sp_buf_reserve(out, 2048);
    if (env == GEN_ENV_PURVIEW) {
        W_LIT(out, "{\"CreationTime\":\"");
        w_dt_sec(out, m->time, false);
        W_LIT(out, "\",\"Id\":");
        w_qguid(out, m->id);
        W_LIT(out, ",\"Operation\":\"CopilotInteraction\",\"OrganizationId\":\"");
        sp_buf_append(out, w->tenant, 36);
        W_LIT(out, "\",\"RecordType\":261,\"UserKey\":\"");
        sp_buf_append(out, u->oid, 36);
        W_LIT(out, "\",\"UserType\":0,\"Version\":1,\"Workload\":\"Copilot\",\"ClientIP\":");
        put_client_ip(w, m, out);
        W_LIT(out, ",\"ClientRegion\":");
        w_qstr(out, cc);
        W_LIT(out, ",\"UserId\":");
        w_qstr(out, u->upn);
        put_agent(w, m, out);
        W_LIT(out, ",\"CopilotEventData\":");
        put_event_data(g, m, out);
        sp_buf_putc(out, '}');
    } else {
        /* Log Analytics CopilotActivity row (empty string columns left out). */
        W_LIT(out, "{\"TimeGenerated\":");
        int64_t t = m->time - m->time % SP_TICKS_PER_SEC; /* CreationTime has whole seconds */
        w_qdt(out, t);
        W_LIT(out, ",\"ActorName\":");
        w_qstr(out, u->upn);
        W_LIT(out, ",\"ActorUserId\":");
        w_qstr(out, u->upn);
        W_LIT(out, ",\"ActorUserType\":\"0\"");
        put_agent(w, m, out);
        if (m->model)
            W_LIT(out, ",\"AIModelName\":\"DEEP_LEO\"");
        W_LIT(out, ",\"AppHost\":");
        w_qstr(out, apphost_names[m->apphost]);
        W_LIT(out, ",\"ClientRegion\":");
        w_qstr(out, cc);
        W_LIT(out, ",\"OrganizationId\":\"");
        sp_buf_append(out, w->tenant, 36);
        W_LIT(out, "\",\"RecordId\":");
        w_qguid(out, m->id);
        W_LIT(out, ",\"RecordType\":\"CopilotInteraction\",\"SourceSystem\":\"RestAPI\",\"SrcIpAddr\":");
        put_client_ip(w, m, out);
        W_LIT(out, ",\"TenantId\":\"");
        sp_buf_append(out, w->workspace, 36);
        W_LIT(out, "\",\"Version\":\"1\",\"Workload\":\"Copilot\",\"LLMEventData\":");
        put_event_data(g, m, out);
        W_LIT(out, ",\"Type\":\"CopilotActivity\"}");
    }
    gen_event_set(g, ev, m->id, u->oid, m->time - m->time % SP_TICKS_PER_SEC);
}

/* ---- watchlists ---- */

void copilot_wl_labels(sp_buf *csv)
{
    gen_csv_row(csv, 4, "SearchKey", "LabelId", "Name", "Rank");
    for (int i = 0; i < LBL_N; i++) {
        char rank[8];
        snprintf(rank, sizeof rank, "%u", (unsigned)labels[i].rank);
        gen_csv_row(csv, 4, labels[i].id, labels[i].id, labels[i].name, rank);
    }
}

/* SearchKey is "LabelId:AppHost", the pair a rule looks up. */
void copilot_wl_forbidden(sp_buf *csv)
{
    gen_csv_row(csv, 6, "SearchKey", "LabelId", "LabelName", "AppHost", "Reason", "Action");
    for (size_t i = 0; i < SP_ARRAY_LEN(forbidden); i++) {
        char key[96];
        snprintf(key, sizeof key, "%s:%s", labels[forbidden[i].label].id, apphost_names[forbidden[i].host]);
        gen_csv_row(csv, 6, key, labels[forbidden[i].label].id, labels[forbidden[i].label].name,
                    apphost_names[forbidden[i].host], forbidden[i].reason, "Block");
    }
}

void copilot_wl_plugins(const gen_world *w, sp_buf *csv)
{
    char id[37];
    gen_csv_row(csv, 5, "SearchKey", "PluginId", "Name", "Publisher", "Kind");
    gen_csv_row(csv, 5, "BingWebSearch", "BingWebSearch", "BuiltIn", "Microsoft", "Plugin");
    for (size_t i = 0; i < SP_ARRAY_LEN(agents); i++) {
        guid_str(copilot_plugin_id(w, CPP_TENANT_AGENT, (int)i), id);
        gen_csv_row(csv, 5, id, id, agents[i], "Contoso (Copilot Studio)", "Agent");
    }
}
