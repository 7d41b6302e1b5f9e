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

#include <stdlib.h>
#include <string.h>

/* Tenant sensitivity labels (fixed ids so rules can name them). */
static const struct {
    const char *name, *id;
} labels[] = {
    {"Public", "0e5a4d61-3d1b-4b8e-9f0c-6a2b7c1d5e01"},
    {"General", "1f6b5e72-4e2c-4c9f-8a1d-7b3c8d2e6f02"},
    {"Confidential", "2a7c6f83-5f3d-4dae-9b2e-8c4d9e3f7a03"},
    {"Confidential\\All Employees", "3b8d7a94-6a4e-4ebf-8c3f-9d5eaf4a8b04"},
    {"Highly Confidential", "4c9e8ba5-7b5f-4fc0-9d4a-ae6fba5b9c05"},
    {"Highly Confidential\\Specified People", "5daf9cb6-8c6a-40d1-8e5b-bf7acb6cad06"},
};
#define LABEL_NONE 255

enum { AH_TEAMS, AH_OUTLOOK, AH_WORD, AH_EXCEL, AH_PPT, AH_BIZCHAT, AH_BING, AH_LOOP, AH_STUDIO, AH_N };
static const char *const apphost_names[AH_N] = {"Teams", "Outlook", "Word", "Excel", "PowerPoint",
                                                "BizChat", "Bing", "Loop", "Copilot Studio"};
static const uint16_t apphost_weight[AH_N] = {300, 150, 150, 80, 70, 120, 80, 20, 30};

static const char *const sites[] = {"Finance", "HR", "Legal", "Engineering", "Sales", "Marketing",
                                    "Executive", "IT", "Security", "Procurement"};
static const bool site_sensitive[] = {1, 1, 1, 0, 0, 0, 1, 0, 1, 0};
static const char *const docs[] = {
    "Q3 Forecast.xlsx", "Board Deck FY27.pptx", "Project Phoenix Plan.docx", "Customer List.xlsx",
    "Salary Bands 2026.xlsx", "Incident Postmortem.docx", "Architecture Overview.pptx",
    "Meeting Notes.docx", "Contract - Northwind Traders.docx", "Roadmap H1.pptx",
    "Budget Tracker.xlsx", "Onboarding Guide.docx", "Pricing Model.xlsx", "Vendor Assessment.docx",
    "Reorg Proposal (Draft).docx", "Sales Pipeline.xlsx", "Security Review.docx",
    "All Hands Slides.pptx", "Travel Policy.docx", "Headcount Plan.xlsx",
};
static const char *const agents[] = {"HR Policy Agent", "IT Helpdesk Agent", "Sales Coach", "Contract Reviewer"};

#define CP_MAX_RES 5
typedef struct cp_res {
    uint8_t site, doc, label, policy;
    uint8_t onedrive;
} cp_res;

struct gen_copilot {
    int64_t time;
    gen_guid id, thread, res_id[CP_MAX_RES];
    uint32_t user, ip;
    uint8_t ip_form;   /* 0 as is, 1 `ffff:` + private office address */
    uint8_t priv[4];   /* private address for ip_form 1 */
    uint8_t apphost, ctx_kind, n_res, n_msgs, plugin, model, agent;
    cp_res res[CP_MAX_RES];
};

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

static void cp_emit(gen_stream *base, gen *g, void *model)
{
    (void)g;
    cp_stream *s = (cp_stream *)base;
    gen_rng *r = &s->rng;
    const gen_world *w = s->w;
    struct gen_copilot *m = model;
    memset(m, 0, sizeof *m);
    m->time = s->clock;
    m->id = rng_guid(r);
    /* a licensed user active at this hour */
    uint32_t u;
    int tries = 0;
    do
        u = world_pick_user(w, r, m->time);
    while ((w->users[u].flags & (U_COPILOT | U_GUEST)) != U_COPILOT && ++tries < 8);
    if ((w->users[u].flags & (U_COPILOT | U_GUEST)) != U_COPILOT)
        u = w->copilot_users[rng_below(r, w->n_copilot_users)];
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
    m->apphost = (uint8_t)alias_draw(&s->hosts, r);
    m->thread = guid_from(w->seed ^ 0x7ead, u, (uint64_t)(m->time / (2 * SP_TICKS_PER_HOUR)) * 16 + m->apphost);
    m->n_msgs = (uint8_t)(2 + 2 * rng_below(r, 3));
    /* resources Copilot read to answer */
    uint32_t maxres = m->apphost == AH_BIZCHAT ? 5 : m->apphost <= AH_PPT ? 2 : m->apphost == AH_BING ? 1 : 3;
    m->n_res = (uint8_t)rng_below(r, maxres + 1);
    if (m->apphost >= AH_WORD && m->apphost <= AH_PPT && m->n_res == 0)
        m->n_res = 1; /* the open document */
    for (int i = 0; i < m->n_res; i++) {
        cp_res *cr = &m->res[i];
        cr->site = (uint8_t)rng_below(r, (uint32_t)SP_ARRAY_LEN(sites));
        cr->doc = (uint8_t)rng_below(r, (uint32_t)SP_ARRAY_LEN(docs));
        if (m->apphost >= AH_WORD && m->apphost <= AH_PPT && i == 0) {
            static const char *const ext[] = {"docx", "xlsx", "pptx"};
            do
                cr->doc = (uint8_t)rng_below(r, (uint32_t)SP_ARRAY_LEN(docs));
            while (!strstr(docs[cr->doc], ext[m->apphost - AH_WORD]));
        }
        cr->onedrive = rng_bp(r, 3000);
        cr->label = pick_label(r, site_sensitive[cr->site] && !cr->onedrive);
        cr->policy = cr->label >= 4 && rng_bp(r, 5000);
        m->res_id[i] = guid_from(w->seed ^ 0xd0c, (uint64_t)cr->site * 64 + cr->doc, cr->onedrive ? u : 0);
    }
    m->ctx_kind = m->apphost == AH_TEAMS ? (uint8_t)(1 + rng_below(r, 3)) : 0;
    m->plugin = (m->apphost == AH_BIZCHAT || m->apphost == AH_BING) && rng_bp(r, 4500) ? 1
                : m->apphost == AH_STUDIO                                              ? 2
                                                                                       : 0;
    m->agent = (uint8_t)rng_below(r, (uint32_t)SP_ARRAY_LEN(agents));
    m->model = (m->apphost == AH_BIZCHAT || m->apphost == AH_BING) && rng_bp(r, 6000);
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
    s->mean_gap = (double)SP_TICKS_PER_SEC / c->rate;
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

/* CopilotEventData, keys in the order the audit records use. */
static void put_event_data(gen *g, const struct gen_copilot *m, sp_buf *b)
{
    const gen_world *w = gen_world_of(g);
    const gen_user *u = &w->users[m->user];
    sp_buf *url = gen_scratch(g, 1);
    W_LIT(b, "{\"AISystemPlugin\":[");
    if (m->plugin == 1) {
        W_LIT(b, "{\"Id\":\"BingWebSearch\",\"Name\":\"BuiltIn\"}");
    } else if (m->plugin == 2) {
        W_LIT(b, "{\"Id\":");
        w_qguid(b, guid_from(w->seed ^ 0xa6e, m->agent, 1));
        W_LIT(b, ",\"Name\":");
        w_qstr(b, agents[m->agent]);
        W_LIT(b, ",\"Version\":\"1.0.");
        w_u64(b, 3 + m->agent);
        W_LIT(b, "\"}");
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
        if (cr->policy) {
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
        W_LIT(b, "\",\"isPrompt\":");
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
        if (m->apphost == AH_STUDIO) {
            W_LIT(out, ",\"AgentId\":");
            w_qguid(out, guid_from(w->seed ^ 0xa6e, m->agent, 1));
            W_LIT(out, ",\"AgentName\":");
            w_qstr(out, agents[m->agent]);
        }
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
        if (m->apphost == AH_STUDIO) {
            W_LIT(out, ",\"AgentId\":");
            w_qguid(out, guid_from(w->seed ^ 0xa6e, m->agent, 1));
            W_LIT(out, ",\"AgentName\":");
            w_qstr(out, agents[m->agent]);
        }
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
