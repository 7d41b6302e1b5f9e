/* json_simd.cpp — the one C++ file of socpipe: simdjson On-Demand behind a C API.
 *
 * Each document is walked exactly once, in document order: for every field we read the key
 * (raw bytes when it has no escape, which is the common case, so no copy), look at the
 * value's first byte and read it the cheapest way (strings unescaped into simdjson's string
 * buffer, numbers parsed once, objects and arrays skipped by structural index and kept as
 * raw text). The result is a flat array of fields with record boundaries, which the C side
 * dispatches on. No allocation happens per field: the field and record arrays grow
 * geometrically and are reused across documents.
 *
 * The raw text of a record or of a descended object is found without a second pass: its
 * start is the token where it begins, its end is the last byte before the iterator's next
 * token once the object has been iterated (whitespace trimmed).
 *
 * Input padding: simdjson reads up to SIMDJSON_PADDING bytes past the end (their content
 * does not matter). Callers that can promise readable bytes after the document (the file
 * reader's buffer) parse in place; otherwise the document is copied into a padded buffer
 * owned by the parser.
 */
#include <simdjson.h>

#include <cstdlib>
#include <cstring>
#include <utility>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ingest/json_int.h"

using namespace simdjson;

static_assert(SIMDJSON_PADDING <= ING_JSON_PADDING, "ING_JSON_PADDING too small");

struct ing_jparser {
    ondemand::parser parser;
    ondemand::document doc;
    char *pad = nullptr;
    size_t pad_cap = 0;
    ing_jfield *fields = nullptr;
    uint32_t nfields = 0, cap_fields = 0;
    ing_jrecord *records = nullptr;
    uint32_t nrecords = 0, cap_records = 0;
    char **descend = nullptr;
    uint32_t *descend_len = nullptr;
    int ndescend = 0;
    const char *input = nullptr;
    size_t input_len = 0;
    /* projection: keys to drop, open addressing over (length, bytes) */
    char **drop = nullptr;
    uint32_t *drop_len = nullptr;
    int32_t *drop_slot = nullptr; /* index into drop + 1, 0 = empty */
    uint32_t drop_mask = 0;
    int ndrop = 0;
    bool drop_on = false;
    /* per field position: the last key seen there and whether it was dropped, so that
     * records of one source (same key order) decide with one compare */
    struct pos_memo {
        uint32_t len;
        bool dropped;
        char key[48];
    } memo[128];
};

static void *xrealloc(void *p, size_t n)
{
    void *q = std::realloc(p, n ? n : 1);
    if (!q) {
        std::fputs("socpipe: out of memory\n", stderr);
        std::abort();
    }
    return q;
}

static inline bool is_ws(char c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline uint32_t add_field(ing_jparser *p)
{
    if (__builtin_expect(p->nfields == p->cap_fields, 0)) {
        uint32_t c = p->cap_fields ? p->cap_fields * 2 : 256;
        p->fields = static_cast<ing_jfield *>(xrealloc(p->fields, c * sizeof(ing_jfield)));
        p->cap_fields = c;
    }
    return p->nfields++;
}

static inline uint32_t add_record(ing_jparser *p)
{
    if (__builtin_expect(p->nrecords == p->cap_records, 0)) {
        uint32_t c = p->cap_records ? p->cap_records * 2 : 16;
        p->records = static_cast<ing_jrecord *>(xrealloc(p->records, c * sizeof(ing_jrecord)));
        p->cap_records = c;
    }
    return p->nrecords++;
}

/* End of the value just consumed: the byte before the iterator's next token, minus
 * whitespace. At the end of the document, the end of the input. */
static const char *consumed_end(ing_jparser *p, const char *start)
{
    const char *loc;
    if (p->doc.current_location().get(loc) != SUCCESS)
        loc = p->input + p->input_len;
    while (loc > start && is_ws(loc[-1]))
        loc--;
    return loc;
}

static inline const char *trim_end(const char *b, const char *e)
{
    while (e > b && is_ws(e[-1]))
        e--;
    return e;
}

static inline bool is_descend_key(const ing_jparser *p, const char *k, uint32_t kl)
{
    for (int i = 0; i < p->ndescend; i++)
        if (p->descend_len[i] == kl && std::memcmp(p->descend[i], k, kl) == 0)
            return true;
    return false;
}

/* True when n bytes at s contain a backslash. Reads whole 16-byte blocks: the input is
 * padded, so reading past the end of a string stays inside the buffer. */
static inline bool has_backslash(const char *s, size_t n)
{
#if defined(__SSE2__)
    const __m128i bs = _mm_set1_epi8('\\');
    for (;;) {
        unsigned m = static_cast<unsigned>(
            _mm_movemask_epi8(_mm_cmpeq_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i *>(s)), bs)));
        if (n <= 16)
            return (m & ((1u << n) - 1)) != 0; /* n == 16 shifts 1u by 16: fine for unsigned */
        if (m)
            return true;
        s += 16;
        n -= 16;
    }
#else
    return std::memchr(s, '\\', n) != nullptr;
#endif
}

/* The key of field f. Its length comes from the structure, not a scan: the value token
 * starts right after `"key" :`, so walking back over the colon and blanks finds the
 * closing quote. Keys with a backslash are unescaped by simdjson. */
static __attribute__((noinline)) error_code read_key_escaped(ondemand::field &f, const char **k,
                                                             uint32_t *kl)
{
    std::string_view u;
    error_code e = f.unescaped_key().get(u);
    if (e)
        return e;
    *k = u.data();
    *kl = static_cast<uint32_t>(u.size());
    return SUCCESS;
}

static inline __attribute__((always_inline)) error_code read_key(ondemand::field &f, const char **k,
                                                                 uint32_t *kl)
{
    const char *s = f.key().raw();
    const char *q = f.value().raw_json_token().data() - 1;
    while (is_ws(*q))
        q--;
    if (__builtin_expect(*q == ':', 1)) {
        q--;
        while (is_ws(*q))
            q--;
    }
    if (__builtin_expect(*q == '"' && q >= s && !has_backslash(s, static_cast<size_t>(q - s)), 1)) {
        *k = s;
        *kl = static_cast<uint32_t>(q - s);
        return SUCCESS;
    }
    return read_key_escaped(f, k, kl);
}

/* Numbers: the raw token is kept for exact text; integers beyond 64 bits become doubles. */
static error_code read_number(ondemand::value &v, ing_jfield *f)
{
    std::string_view tok = v.raw_json_token();
    const char *te = trim_end(tok.data(), tok.data() + tok.size());
    f->text = tok.data();
    f->text_len = static_cast<uint32_t>(te - tok.data());
    ondemand::number num;
    error_code e = v.get_number().get(num);
    if (e) {
        /* 3.0.1 rejects integers of 20+ digits; they are valid JSON, so read them as double
         * when the token is a well-formed integer. */
        const char *s = f->text, *end = s + f->text_len;
        const char *d = s + (s < end && *s == '-');
        if (d == end || (*d == '0' && end - d > 1))
            return e;
        for (const char *c = d; c < end; c++)
            if (*c < '0' || *c > '9')
                return e;
        char tmp[400];
        if (f->text_len >= sizeof tmp)
            return e;
        std::memcpy(tmp, s, f->text_len);
        tmp[f->text_len] = 0;
        f->kind = ING_J_DOUBLE;
        f->v.d = std::strtod(tmp, nullptr);
        return SUCCESS;
    }
    switch (num.get_number_type()) {
    case ondemand::number_type::signed_integer:
        f->kind = ING_J_INT;
        f->v.i = num.get_int64();
        break;
    case ondemand::number_type::unsigned_integer:
        f->kind = ING_J_UINT;
        f->v.u = num.get_uint64();
        break;
    default:
        f->kind = ING_J_DOUBLE;
        f->v.d = num.get_double();
        break;
    }
    return SUCCESS;
}

static error_code read_value(ing_jparser *p, ondemand::value &v, uint32_t fi, bool may_descend);

/* Flattens the fields of a descended object (one level; deeper objects stay raw). */
static error_code read_children(ing_jparser *p, ondemand::object &o, uint32_t parent)
{
    uint32_t n = 0;
    for (auto fr : o) {
        error_code e = fr.error();
        if (e)
            return e;
        /* Use the field in place: copying it out of the result costs a store-forwarding
         * stall per field. */
        ondemand::field &f = fr.value_unsafe();
        uint32_t ci = add_field(p);
        ing_jfield *c = &p->fields[ci];
        c->is_child = 1;
        c->nchild = 0;
        if ((e = read_key(f, &c->key, &c->key_len)))
            return e;
        if ((e = read_value(p, f.value(), ci, false)))
            return e;
        n++;
    }
    p->fields[parent].nchild = n;
    return SUCCESS;
}

static error_code read_value(ing_jparser *p, ondemand::value &v, uint32_t fi, bool may_descend)
{
    ondemand::json_type t;
    error_code e = v.type().get(t);
    if (e)
        return e;
    ing_jfield *f = &p->fields[fi];
    switch (t) {
    case ondemand::json_type::string: {
        /* Strings without a backslash are used in place (no copy): the token runs from the
         * opening quote to the next structural character, so the closing quote is its
         * last non-space byte. Stage 1 has already validated UTF-8 and rejected raw
         * control characters. Only strings with escapes are unescaped by simdjson. */
        f->kind = ING_J_STRING;
        std::string_view tok = v.raw_json_token();
        const char *b = tok.data() + 1;
        const char *q = trim_end(tok.data(), tok.data() + tok.size()) - 1;
        if (__builtin_expect(q >= b && *q == '"' && !has_backslash(b, static_cast<size_t>(q - b)), 1)) {
            ondemand::raw_json_string rs;
            if ((e = v.get_raw_json_string().get(rs)))
                return e;
            f->text = b;
            f->text_len = static_cast<uint32_t>(q - b);
            return SUCCESS;
        }
        std::string_view s;
        if ((e = v.get_string().get(s)))
            return e;
        f->text = s.data();
        f->text_len = static_cast<uint32_t>(s.size());
        return SUCCESS;
    }
    case ondemand::json_type::number:
        return read_number(v, f);
    case ondemand::json_type::boolean: {
        std::string_view tok = v.raw_json_token();
        bool b;
        if ((e = v.get_bool().get(b)))
            return e;
        f->kind = ING_J_BOOL;
        f->v.b = b;
        f->text = tok.data();
        f->text_len = b ? 4 : 5;
        return SUCCESS;
    }
    case ondemand::json_type::null: {
        std::string_view tok = v.raw_json_token();
        bool isnull;
        if ((e = v.is_null().get(isnull)))
            return e;
        if (!isnull)
            return N_ATOM_ERROR;
        f->kind = ING_J_NULL;
        f->text = tok.data();
        f->text_len = 4;
        return SUCCESS;
    }
    case ondemand::json_type::object: {
        const char *start = v.raw_json_token().data();
        ondemand::object o;
        if ((e = v.get_object().get(o)))
            return e;
        f->kind = ING_J_OBJECT;
        if (may_descend && is_descend_key(p, f->key, f->key_len)) {
            if ((e = read_children(p, o, fi)))
                return e;
            f = &p->fields[fi]; /* the array may have moved */
            const char *end = consumed_end(p, start);
            f->text = start;
            f->text_len = static_cast<uint32_t>(end - start);
            return SUCCESS;
        }
        std::string_view raw;
        if ((e = o.raw_json().get(raw)))
            return e;
        f->text = raw.data();
        f->text_len = static_cast<uint32_t>(trim_end(raw.data(), raw.data() + raw.size()) - raw.data());
        return SUCCESS;
    }
    case ondemand::json_type::array: {
        ondemand::array a;
        if ((e = v.get_array().get(a)))
            return e;
        std::string_view raw;
        if ((e = a.raw_json().get(raw)))
            return e;
        f->kind = ING_J_ARRAY;
        f->text = raw.data();
        f->text_len = static_cast<uint32_t>(trim_end(raw.data(), raw.data() + raw.size()) - raw.data());
        return SUCCESS;
    }
    }
    return TAPE_ERROR;
}

/* A key hash that reads only [k, k + n): the first and last eight bytes and the length
 * (keys are short; collisions only cost a compare). */
static inline uint32_t key_hash(const char *k, uint32_t n)
{
    uint64_t a = 0, b;
    if (n >= 8) {
        std::memcpy(&a, k, 8);
        std::memcpy(&b, k + n - 8, 8);
    } else {
        for (uint32_t i = 0; i < n; i++)
            a |= static_cast<uint64_t>(static_cast<unsigned char>(k[i])) << (8 * i);
        b = a;
    }
    uint64_t h = a * 0x9E3779B97F4A7C15ULL ^ (b + n) * 0xC2B2AE3D27D4EB4FULL;
    return static_cast<uint32_t>(h ^ (h >> 29));
}

/* a[0..n) == b[0..n), comparing whole words: both sides may be read up to the next
 * multiple of 8 (the memo's buffer, the drop keys' padded copies, the padded input). */
static inline bool words_eq(const char *a, const char *b, uint32_t n)
{
    for (uint32_t i = 0; i < n; i += 8) {
        uint64_t x, y;
        std::memcpy(&x, a + i, 8);
        std::memcpy(&y, b + i, 8);
        uint64_t d = x ^ y;
        if (n - i < 8)
            d &= (1ULL << (8 * (n - i))) - 1;
        if (d)
            return false;
    }
    return true;
}

static inline bool drop_lookup(const ing_jparser *p, const char *k, uint32_t n, bool in_input)
{
    for (uint32_t j = key_hash(k, n) & p->drop_mask;; j = (j + 1) & p->drop_mask) {
        int32_t s = p->drop_slot[j];
        if (!s)
            return false;
        if (p->drop_len[s - 1] == n &&
            (in_input ? words_eq(p->drop[s - 1], k, n) : std::memcmp(p->drop[s - 1], k, n) == 0))
            return true;
    }
}

/* Whether the field at position pos of a record, with key k, is dropped. */
static inline bool drop_key(ing_jparser *p, uint32_t pos, const char *k, uint32_t n)
{
    if (pos < sizeof p->memo / sizeof p->memo[0] && n <= sizeof p->memo[0].key) {
        ing_jparser::pos_memo *m = &p->memo[pos];
        /* whole-word reads past the key stay inside the padded input; an unescaped key
         * lives in simdjson's buffer instead and is compared exactly */
        bool in_input = k >= p->input && k + n <= p->input + p->input_len;
        if (m->len == n && (in_input ? words_eq(m->key, k, n) : std::memcmp(m->key, k, n) == 0))
            return m->dropped;
        m->len = n;
        std::memcpy(m->key, k, n);
        return m->dropped = drop_lookup(p, k, n, in_input);
    }
    return drop_lookup(p, k, n, k >= p->input && k + n <= p->input + p->input_len);
}

/* Outcome of flattening an object that might be an envelope. */
enum { FLAT_RECORD = 0, FLAT_MAYBE_ENVELOPE = 1 };

/* Flattens obj as one record. When allow_envelope and its first key is "records" with an
 * array value, stops and returns FLAT_MAYBE_ENVELOPE in *outcome (nothing is emitted). */
static error_code flatten_record(ing_jparser *p, ondemand::object &obj, const char *start,
                                 bool root, bool allow_envelope, int *outcome)
{
    uint32_t ri = add_record(p);
    uint32_t first = p->nfields, pos = 0, dropped = 0;
    bool first_field = true, dropping = p->drop_on && p->ndrop > 0;
    *outcome = FLAT_RECORD;
    for (auto fr : obj) {
        error_code e = fr.error();
        if (e)
            return e;
        ondemand::field &f = fr.value_unsafe();
        uint32_t fi = add_field(p);
        ing_jfield *fl = &p->fields[fi];
        fl->is_child = 0;
        fl->nchild = 0;
        if ((e = read_key(f, &fl->key, &fl->key_len)))
            return e;
        if (dropping && drop_key(p, pos++, fl->key, fl->key_len)) {
            /* not read: the iterator skips the value on its way to the next key */
            p->nfields--;
            dropped++;
            first_field = false;
            continue;
        }
        if (first_field && allow_envelope && fl->key_len == 7 && std::memcmp(fl->key, "records", 7) == 0) {
            ondemand::json_type t;
            if ((e = f.value().type().get(t)))
                return e;
            if (t == ondemand::json_type::array) {
                p->nfields = first;
                p->nrecords = ri;
                *outcome = FLAT_MAYBE_ENVELOPE;
                return SUCCESS;
            }
        }
        first_field = false;
        if ((e = read_value(p, f.value(), fi, true)))
            return e;
    }
    ing_jrecord *r = &p->records[ri];
    r->first = first;
    r->nfields = p->nfields - first;
    r->status = ING_JREC_OK;
    r->ndropped = dropped;
    r->raw = start;
    const char *end = root ? trim_end(start, p->input + p->input_len) : consumed_end(p, start);
    r->raw_len = static_cast<size_t>(end - start);
    return SUCCESS;
}

/* obj's first key is "records" with an array value. Emits its elements as records when obj
 * is an envelope and sets *is_env; otherwise emits nothing and clears *is_env. */
static error_code try_envelope(ing_jparser *p, ondemand::object &obj, bool *is_env)
{
    uint32_t f0 = p->nfields, r0 = p->nrecords;
    *is_env = false;
    auto it_res = obj.begin();
    ondemand::object_iterator it;
    error_code e = std::move(it_res).get(it);
    if (e)
        return e;
    ondemand::field f;
    if ((e = (*it).get(f)))
        return e;
    ondemand::array arr;
    if ((e = f.value().get_array().get(arr)))
        return e;
    for (auto er : arr) {
        ondemand::value ev;
        if ((e = std::move(er).get(ev)))
            return e;
        ondemand::json_type t;
        if ((e = ev.type().get(t)))
            return e;
        if (t != ondemand::json_type::object)
            goto not_envelope;
        const char *start = ev.raw_json_token().data();
        ondemand::object eo;
        if ((e = ev.get_object().get(eo)))
            return e;
        int outcome;
        if ((e = flatten_record(p, eo, start, false, false, &outcome)))
            return e;
    }
    ++it;
    if (it != obj.end())
        goto not_envelope;
    *is_env = true;
    return SUCCESS;
not_envelope:
    p->nfields = f0;
    p->nrecords = r0;
    return SUCCESS;
}

/* An object that is a record or an envelope. */
static error_code flatten_object(ing_jparser *p, ondemand::object &obj, const char *start, bool root,
                                 bool *was_envelope)
{
    int outcome;
    *was_envelope = false;
    error_code e = flatten_record(p, obj, start, root, true, &outcome);
    if (e || outcome == FLAT_RECORD)
        return e;
    bool dummy;
    if ((e = obj.reset().get(dummy)))
        return e;
    if ((e = try_envelope(p, obj, was_envelope)))
        return e;
    if (*was_envelope)
        return SUCCESS;
    if ((e = obj.reset().get(dummy)))
        return e;
    return flatten_record(p, obj, start, root, false, &outcome);
}

static void not_object_record(ing_jparser *p, const char *raw, size_t len)
{
    uint32_t ri = add_record(p);
    ing_jrecord *r = &p->records[ri];
    r->raw = raw;
    r->raw_len = len;
    r->first = p->nfields;
    r->nfields = 0;
    r->status = ING_JREC_NOT_OBJECT;
    r->ndropped = 0;
}

static error_code flatten_document(ing_jparser *p, int *root)
{
    ondemand::json_type t;
    error_code e = p->doc.type().get(t);
    if (e)
        return e;
    const char *b = p->input, *end = p->input + p->input_len;
    while (b < end && is_ws(*b))
        b++;
    if (t == ondemand::json_type::object) {
        ondemand::object obj;
        if ((e = p->doc.get_object().get(obj)))
            return e;
        bool env;
        if ((e = flatten_object(p, obj, b, true, &env)))
            return e;
        *root = env ? ING_JROOT_ENVELOPE : ING_JROOT_OBJECT;
    } else if (t == ondemand::json_type::array) {
        ondemand::array arr;
        if ((e = p->doc.get_array().get(arr)))
            return e;
        *root = ING_JROOT_ARRAY;
        for (auto er : arr) {
            ondemand::value ev;
            if ((e = std::move(er).get(ev)))
                return e;
            ondemand::json_type et;
            if ((e = ev.type().get(et)))
                return e;
            const char *start = ev.raw_json_token().data();
            if (et == ondemand::json_type::object) {
                ondemand::object eo;
                if ((e = ev.get_object().get(eo)))
                    return e;
                bool env;
                if ((e = flatten_object(p, eo, start, false, &env)))
                    return e;
            } else if (et == ondemand::json_type::array) {
                ondemand::array ea;
                std::string_view raw;
                if ((e = ev.get_array().get(ea)) || (e = ea.raw_json().get(raw)))
                    return e;
                not_object_record(p, start, static_cast<size_t>(trim_end(start, raw.data() + raw.size()) - start));
            } else {
                std::string_view tok = ev.raw_json_token();
                not_object_record(p, start, static_cast<size_t>(trim_end(start, tok.data() + tok.size()) - start));
            }
        }
    } else {
        /* A scalar document is not a record; it is reported as such without validating it
         * further (the caller classifies rejected text with sp_json_compact). */
        *root = ING_JROOT_SCALAR;
        not_object_record(p, b, static_cast<size_t>(trim_end(b, end) - b));
        return SUCCESS;
    }
    /* At the end of the document current_location() reports OUT_OF_BOUNDS. */
    if (p->doc.current_location().error() != OUT_OF_BOUNDS)
        return TRAILING_CONTENT;
    return SUCCESS;
}

extern "C" {

ing_jparser *ing_jparser_new(const char *const *descend, int ndescend)
{
    ing_jparser *p = new (std::nothrow) ing_jparser();
    if (!p) {
        std::fputs("socpipe: out of memory\n", stderr);
        std::abort();
    }
    if (ndescend > 0) {
        p->descend = static_cast<char **>(xrealloc(nullptr, sizeof(char *) * static_cast<size_t>(ndescend)));
        p->descend_len = static_cast<uint32_t *>(xrealloc(nullptr, sizeof(uint32_t) * static_cast<size_t>(ndescend)));
        for (int i = 0; i < ndescend; i++) {
            size_t n = std::strlen(descend[i]);
            p->descend[i] = static_cast<char *>(xrealloc(nullptr, n + 1));
            std::memcpy(p->descend[i], descend[i], n + 1);
            p->descend_len[i] = static_cast<uint32_t>(n);
        }
        p->ndescend = ndescend;
    }
    return p;
}

void ing_jparser_set_drop(ing_jparser *p, const char *const *keys, int nkeys)
{
    for (int i = 0; i < p->ndrop; i++)
        std::free(p->drop[i]);
    std::free(p->drop);
    std::free(p->drop_len);
    std::free(p->drop_slot);
    p->drop = nullptr;
    p->drop_len = nullptr;
    p->drop_slot = nullptr;
    p->ndrop = 0;
    std::memset(p->memo, 0, sizeof p->memo);
    if (nkeys <= 0)
        return;
    uint32_t cap = 16;
    while (cap < static_cast<uint32_t>(nkeys) * 2)
        cap *= 2;
    p->drop = static_cast<char **>(xrealloc(nullptr, sizeof(char *) * static_cast<size_t>(nkeys)));
    p->drop_len = static_cast<uint32_t *>(xrealloc(nullptr, sizeof(uint32_t) * static_cast<size_t>(nkeys)));
    p->drop_slot = static_cast<int32_t *>(xrealloc(nullptr, sizeof(int32_t) * cap));
    std::memset(p->drop_slot, 0, sizeof(int32_t) * cap);
    p->drop_mask = cap - 1;
    for (int i = 0; i < nkeys; i++) {
        size_t n = std::strlen(keys[i]);
        /* zero-padded to whole words for words_eq */
        size_t padded = (n + 7) / 8 * 8 + 8;
        p->drop[i] = static_cast<char *>(xrealloc(nullptr, padded));
        std::memset(p->drop[i], 0, padded);
        std::memcpy(p->drop[i], keys[i], n);
        p->drop_len[i] = static_cast<uint32_t>(n);
        uint32_t j = key_hash(keys[i], static_cast<uint32_t>(n)) & p->drop_mask;
        while (p->drop_slot[j])
            j = (j + 1) & p->drop_mask;
        p->drop_slot[j] = i + 1;
    }
    p->ndrop = nkeys;
    p->drop_on = true;
}

void ing_jparser_drop_enable(ing_jparser *p, bool enabled)
{
    p->drop_on = enabled;
}

void ing_jparser_free(ing_jparser *p)
{
    if (!p)
        return;
    ing_jparser_set_drop(p, nullptr, 0);
    for (int i = 0; i < p->ndescend; i++)
        std::free(p->descend[i]);
    std::free(p->descend);
    std::free(p->descend_len);
    std::free(p->fields);
    std::free(p->records);
    std::free(p->pad);
    delete p;
}

int ing_jparse(ing_jparser *p, const char *data, size_t len, size_t capacity, ing_jdoc *doc,
               ing_jerror *err)
{
    p->nfields = 0;
    p->nrecords = 0;
    if (capacity < len + SIMDJSON_PADDING) {
        if (p->pad_cap < len + SIMDJSON_PADDING) {
            size_t c = len + SIMDJSON_PADDING;
            if (c < 4096)
                c = 4096;
            std::free(p->pad);
            p->pad = static_cast<char *>(xrealloc(nullptr, c));
            p->pad_cap = c;
        }
        std::memcpy(p->pad, data, len);
        std::memset(p->pad + len, ' ', SIMDJSON_PADDING);
        data = p->pad;
        capacity = p->pad_cap;
    }
    p->input = data;
    p->input_len = len;
    int root = ING_JROOT_OBJECT;
    error_code e = p->parser.iterate(padded_string_view(data, len, capacity)).get(p->doc);
    bool iterated = !e;
    if (!e)
        e = flatten_document(p, &root);
    if (e) {
        err->code = static_cast<int>(e);
        err->reason = error_message(e);
        const char *loc;
        err->offset = 0;
        if (iterated && p->doc.current_location().get(loc) == SUCCESS && loc >= data && loc <= data + len)
            err->offset = static_cast<size_t>(loc - data);
        p->nfields = 0;
        p->nrecords = 0;
        return -1;
    }
    doc->records = p->records;
    doc->nrecords = p->nrecords;
    doc->fields = p->fields;
    doc->nfields = p->nfields;
    doc->root = root;
    return 0;
}

const char *ing_json_impl(void)
{
    /* The On-Demand code compiled into this file, not libsimdjson's own choice. */
    return SIMDJSON_STRINGIFY(SIMDJSON_BUILTIN_IMPLEMENTATION);
}

} /* extern "C" */
