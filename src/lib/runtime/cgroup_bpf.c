/* cgroup v2 device access: an eBPF program of type CGROUP_DEVICE.  See cgroup.h.
 *
 * cgroup v1 evaluates devices.allow/deny writes in order on top of "everything allowed", so the
 * last rule that matches an access decides.  The program reproduces that: it checks the rules
 * from the last to the first and returns the verdict of the first match; no match allows.  A
 * rule matching everything ends the program (the verifier refuses unreachable instructions).
 *
 * The program's context (struct bpf_cgroup_dev_ctx) is {access_type, major, minor}, with
 * access_type = (access << 16) | type.  Registers: r2 = type, r3 = access, r4 = major,
 * r5 = minor.  Each rule is one block:
 *     if r2 != TYPE goto next            (unless the rule is for all types)
 *     r1 = r3; r1 &= ~ACCESS; if r1 != 0 goto next   (unless the rule allows rwm)
 *     if r4 != MAJOR goto next           (unless *)
 *     if r5 != MINOR goto next           (unless *)
 *     r0 = VERDICT; exit
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cgroup.h"
#include "util.h"

#define INSN(c, d, s, o, i) ((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })
#define LDX_W(d, s, o) INSN (BPF_LDX | BPF_MEM | BPF_W, d, s, o, 0)
#define ALU32_K(op, d, k) INSN (BPF_ALU | (op) | BPF_K, d, 0, 0, k)
#define MOV32_X(d, s) INSN (BPF_ALU | BPF_MOV | BPF_X, d, s, 0, 0)
#define MOV64_K(d, k) INSN (BPF_ALU64 | BPF_MOV | BPF_K, d, 0, 0, k)
#define JNE_K(d, k, o) INSN (BPF_JMP | BPF_JNE | BPF_K, d, 0, o, k)
#define EXIT() INSN (BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

struct prog
{
  struct bpf_insn *insn;
  size_t n;
};

static void
emit (struct prog *p, struct bpf_insn i)
{
  p->insn = xrealloc (p->insn, (p->n + 1) * sizeof *p->insn);
  p->insn[p->n++] = i;
}

struct rule
{
  int type;          /* BPF_DEVCG_DEV_CHAR / _BLOCK, 0 = all */
  int access;        /* BPF_DEVCG_ACC_* bits */
  long major, minor; /* -1 = any */
};

static int
parse_rule (const char *s, struct rule *r)
{
  char type, maj[24], min[24], acc[8];
  if (sscanf (s, "%c %23[^:]:%23s %7s", &type, maj, min, acc) != 4)
    return -1;
  r->type = type == 'c' ? BPF_DEVCG_DEV_CHAR : type == 'b' ? BPF_DEVCG_DEV_BLOCK : 0;
  r->major = strcmp (maj, "*") == 0 ? -1 : strtol (maj, NULL, 10);
  r->minor = strcmp (min, "*") == 0 ? -1 : strtol (min, NULL, 10);
  r->access = 0;
  for (const char *a = acc; *a; a++)
    r->access |= *a == 'r' ? BPF_DEVCG_ACC_READ : *a == 'w' ? BPF_DEVCG_ACC_WRITE : *a == 'm' ? BPF_DEVCG_ACC_MKNOD : 0;
  return 0;
}

/* A rule without conditions decides everything: the rules before it are never reached. */
static bool
matches_all (const struct rule *r)
{
  const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;
  return r->type == 0 && (r->access & all) == all && r->major < 0 && r->minor < 0;
}

static void
emit_rule (struct prog *p, const struct rule *r, bool allow)
{
  size_t start = p->n;
  const int all = BPF_DEVCG_ACC_READ | BPF_DEVCG_ACC_WRITE | BPF_DEVCG_ACC_MKNOD;

  if (r->type)
    emit (p, JNE_K (2, r->type, 0));
  if ((r->access & all) != all)
    {
      emit (p, MOV32_X (1, 3));
      emit (p, ALU32_K (BPF_AND, 1, ~r->access & all));
      emit (p, JNE_K (1, 0, 0));
    }
  if (r->major >= 0)
    emit (p, JNE_K (4, (int) r->major, 0));
  if (r->minor >= 0)
    emit (p, JNE_K (5, (int) r->minor, 0));
  emit (p, MOV64_K (0, allow ? 1 : 0));
  emit (p, EXIT ());
  /* every jump of the block goes to the first instruction after it */
  for (size_t i = start; i < p->n; i++)
    if (BPF_CLASS (p->insn[i].code) == BPF_JMP && BPF_OP (p->insn[i].code) == BPF_JNE)
      p->insn[i].off = (short) (p->n - i - 1);
}

static int
bpf_sys (int cmd, union bpf_attr *attr)
{
  return (int) syscall (SYS_bpf, cmd, attr, sizeof *attr);
}

int
cg_bpf_devices (const char *dir, const char (*rules)[96], const bool *allow, size_t n, capsa_err **err)
{
  struct prog p = { 0 };
  char log[4096] = "";

  emit (&p, LDX_W (2, 1, 0));
  emit (&p, ALU32_K (BPF_AND, 2, 0xffff));
  emit (&p, LDX_W (3, 1, 0));
  emit (&p, ALU32_K (BPF_RSH, 3, 16));
  emit (&p, LDX_W (4, 1, 4));
  emit (&p, LDX_W (5, 1, 8));
  bool decided = false;
  for (size_t i = n; i-- > 0 && !decided;)
    {
      struct rule r;
      if (parse_rule (rules[i], &r) < 0)
        {
          free (p.insn);
          return capsa_fail_as (err, EINVAL, "device rule `%s` is malformed", rules[i]);
        }
      emit_rule (&p, &r, allow[i]);
      decided = matches_all (&r); /* the verifier refuses unreachable instructions */
    }
  if (!decided)
    {
      emit (&p, MOV64_K (0, 1));
      emit (&p, EXIT ());
    }

  union bpf_attr load = { 0 };
  load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  load.insns = (uintptr_t) p.insn;
  load.insn_cnt = (unsigned) p.n;
  load.license = (uintptr_t) "Apache-2.0";
  load.log_buf = (uintptr_t) log;
  load.log_size = sizeof log;
  load.log_level = 1;
  cleanup_close int prog = bpf_sys (BPF_PROG_LOAD, &load);
  int e = errno;
  free (p.insn);
  if (prog < 0)
    return capsa_fail (err, e, "load the device filter (eBPF)%s%s", *log ? ": " : "", log);

  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return capsa_fail (err, errno, "open cgroup `%s`", dir);
  union bpf_attr attach = { 0 };
  attach.target_fd = (unsigned) dfd;
  attach.attach_bpf_fd = (unsigned) prog;
  attach.attach_type = BPF_CGROUP_DEVICE;
  attach.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf_sys (BPF_PROG_ATTACH, &attach) < 0)
    return capsa_fail (err, errno, "attach the device filter to `%s`", dir);
  /* the attachment holds the program now; our fd goes */
  return 0;
}
