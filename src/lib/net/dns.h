/* DNS messages (RFC 1035) as the network's DNS server (dns_server.c) reads and writes them: one
 * question in, an answer of A/AAAA records (or an error code) out.  Every read is bounded by the
 * message's length: a malformed, truncated or looping message is refused (-1), never read past.
 * Names are kept in presentation form without the final dot ("web.example"), at most
 * DNS_NAME_MAX characters; labels with a `.` or a byte outside printable ASCII are refused. */
#ifndef CAPSA_NET_DNS_H
#define CAPSA_NET_DNS_H

#include <stddef.h>
#include <stdint.h>

#define DNS_NAME_MAX 253
#define DNS_UDP_MAX 512 /* what a UDP answer may hold without EDNS (longer: truncated, TC set) */

#define DNS_TYPE_A 1
#define DNS_TYPE_AAAA 28
#define DNS_TYPE_PTR 12
#define DNS_CLASS_IN 1

#define DNS_RCODE_OK 0
#define DNS_RCODE_FORMERR 1
#define DNS_RCODE_SERVFAIL 2
#define DNS_RCODE_NXDOMAIN 3
#define DNS_RCODE_NOTIMP 4
#define DNS_RCODE_REFUSED 5

struct dns_query
{
  uint16_t id;
  uint16_t flags;              /* the query's header flags (RD is echoed) */
  char name[DNS_NAME_MAX + 1]; /* the question's name */
  uint16_t qtype, qclass;
  size_t qend; /* where the question ends in the message */
};

/* One answer record of the question's name: an address, or a name (PTR). */
struct dns_rr
{
  uint16_t type; /* DNS_TYPE_A (4 bytes of addr), DNS_TYPE_AAAA (16) or DNS_TYPE_PTR (target) */
  uint32_t ttl;
  uint8_t addr[16];   /* network order */
  const char *target; /* PTR: the name it points to (borrowed; too long: the record is left out) */
};

/* The name at off in msg (len bytes), following compression pointers (backwards only, a bounded
 * number of them), into out (DNS_NAME_MAX + 1 bytes); *next gets the offset after the name where
 * it starts (after its first pointer).  -1: malformed or truncated. */
int dns_read_name (const uint8_t *msg, size_t len, size_t off, char *out, size_t *next);

/* The one question of a query (QR clear, QDCOUNT 1, opcode QUERY).  -1: malformed or not such a
 * query (q->id is still set when the header was complete, for a FORMERR answer). */
int dns_parse_query (const uint8_t *msg, size_t len, struct dns_query *q);

/* An answer to q (msg: the query, whose question is copied) with rcode and the n records rrs,
 * into out (cap bytes, at least 12 + the question).  Records that do not fit are left out and TC
 * set.  Returns the answer's length, or -1 when not even the header and question fit. */
int dns_answer (const struct dns_query *q, const uint8_t *msg, int rcode, const struct dns_rr *rrs, size_t n,
                uint8_t *out, size_t cap);

/* A header-only answer with rcode (FORMERR, NOTIMP...) to a query of id: 12 bytes into out. */
void dns_error (uint16_t id, uint16_t qflags, int rcode, uint8_t out[12]);

/* Name in out as a query for qtype (id), for tests and probes: its length, -1 when the name is
 * not valid or does not fit in cap. */
int dns_make_query (uint16_t id, const char *name, uint16_t qtype, uint8_t *out, size_t cap);

/* The answers' addresses of a response (the records of type A or AAAA, any name), into rrs (up
 * to max); *rcode gets the response code.  Returns how many, -1 when malformed. */
int dns_parse_answer (const uint8_t *msg, size_t len, int *rcode, struct dns_rr *rrs, size_t max);

#endif
