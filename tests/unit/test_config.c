/* Unit tests for the config.json parser (src/lib/runtime/config.c).
 *
 * The JSON in these tests is written with ' for " (see q()), which keeps it readable; none of the
 * configs needs an apostrophe.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cleanup.h"
#include "config.h"

#define BASE "'ociVersion':'1.2.0','root':{'path':'rootfs'}"

/* s with every ' turned into ", owned by the caller. */
static char *
q (const char *s)
{
  char *d = strdup (s);
  assert_non_null (d);
  for (char *x = d; *x; x++)
    if (*x == '\'')
      *x = '"';
  return d;
}

static struct capsa_config *
parse_ok (const char *json)
{
  cleanup_free char *j = q (json);
  cleanup_err capsa_err *err = NULL;
  struct capsa_config *c = NULL;

  if (cfg_parse_string (j, strlen (j), "config.json", &c, &err) < 0)
    fail_msg ("unexpected error: %s", err->msg);
  assert_non_null (c);
  assert_null (err);
  return c;
}

/* Parsing json must fail with a message containing each of the given strings (NULL-terminated). */
static void
expect_error_v (const char *json, const char *needle, ...)
{
  cleanup_free char *j = q (json);
  cleanup_err capsa_err *err = NULL;
  struct capsa_config *c = NULL;
  va_list ap;

  assert_int_equal (cfg_parse_string (j, strlen (j), "config.json", &c, &err), -1);
  assert_null (c);
  assert_non_null (err);
  va_start (ap, needle);
  for (const char *n = needle; n; n = va_arg (ap, const char *))
    if (strstr (err->msg, n) == NULL)
      fail_msg ("error \"%s\" does not contain \"%s\" (config: %s)", err->msg, n, j);
  va_end (ap);
}
#define expect_error(json, ...) expect_error_v (json, __VA_ARGS__, (const char *) NULL)

/* ---- whole documents ------------------------------------------------------------------------ */

static const char full_config[]
    = "{'ociVersion':'1.2.0',"
      " 'root':{'path':'rootfs','readonly':true},"
      " 'hostname':'box','domainname':'example.org',"
      " 'mounts':["
      "   {'destination':'/proc','type':'proc','source':'proc'},"
      "   {'destination':'/dev','type':'tmpfs','source':'tmpfs',"
      "    'options':['nosuid','strictatime','mode=755','size=65536k']},"
      "   {'destination':'/data','type':'bind','source':'/srv/data','options':['rbind','ro','rprivate']}"
      " ],"
      " 'process':{"
      "   'terminal':true,'consoleSize':{'height':24,'width':80},"
      "   'user':{'uid':1000,'gid':100,'umask':18,'additionalGids':[5,6,7]},"
      "   'args':['sh','-c','echo hi'],"
      "   'env':['PATH=/usr/bin:/bin','TERM=xterm'],"
      "   'cwd':'/home/user',"
      "   'capabilities':{'bounding':['CAP_CHOWN','CAP_KILL'],'effective':['CAP_CHOWN'],"
      "                   'permitted':['CAP_CHOWN','CAP_KILL'],'ambient':[]},"
      "   'rlimits':[{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096}],"
      "   'noNewPrivileges':true,'oomScoreAdj':-17,"
      "   'apparmorProfile':'unconfined','selinuxLabel':'system_u:system_r:container_t:s0'"
      " },"
      " 'linux':{"
      "   'namespaces':[{'type':'pid'},{'type':'network','path':'/var/run/netns/x'},{'type':'mount'},"
      "                 {'type':'ipc'},{'type':'uts'},{'type':'user'},{'type':'cgroup'}],"
      "   'uidMappings':[{'containerID':0,'hostID':100000,'size':65536}],"
      "   'gidMappings':[{'containerID':0,'hostID':200000,'size':1000},{'containerID':1000,'hostID':1000,'size':1}],"
      "   'devices':[{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':438,'uid':0,'gid':0}],"
      "   'sysctl':{'net.ipv4.ip_forward':'1','kernel.shmmax':'4096'},"
      "   'cgroupsPath':'/capsa/box','rootfsPropagation':'rslave',"
      "   'maskedPaths':['/proc/kcore','/proc/keys'],'readonlyPaths':['/proc/sys'],"
      "   'mountLabel':'system_u:object_r:container_file_t:s0',"
      "   'resources':{'memory':{'limit':1048576}},'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'}"
      " },"
      " 'annotations':{'org.example.key':'value'},"
      " 'hooks':{'prestart':[]},'unknownField':{'ignored':[1,2,3]}"
      "}";

static void
test_full_config_top (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (full_config);

  assert_string_equal (c->oci_version, "1.2.0");
  assert_string_equal (c->root_path, "rootfs");
  assert_true (c->root_readonly);
  assert_string_equal (c->hostname, "box");
  assert_string_equal (c->domainname, "example.org");
  assert_non_null (c->resources);
  assert_true (c->resources->v[CFG_RES_MEMORY_LIMIT].set);
  assert_int_equal (c->resources->v[CFG_RES_MEMORY_LIMIT].i, 1048576);
  assert_int_equal (c->resources->sections, 1u << CFG_RES_SECTION_MEMORY);
  assert_non_null (c->annotations);
  assert_string_equal (json_string_value (json_object_get (c->annotations, "org.example.key")), "value");
}

static void
test_full_config_mounts (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (full_config);

  assert_int_equal (c->n_mounts, 3);
  assert_string_equal (c->mounts[0].destination, "/proc");
  assert_string_equal (c->mounts[0].type, "proc");
  assert_string_equal (c->mounts[0].source, "proc");
  assert_null (c->mounts[0].options[0]);
  assert_null (c->mounts[0].data);
  assert_false (c->mounts[0].is_bind);
  assert_int_equal (c->mounts[1].flags, MS_NOSUID | MS_STRICTATIME);
  assert_string_equal (c->mounts[1].data, "mode=755,size=65536k");
  assert_string_equal (c->mounts[1].options[2], "mode=755");
  assert_true (c->mounts[2].is_bind);
  assert_int_equal (c->mounts[2].flags, MS_BIND | MS_REC | MS_RDONLY);
  assert_int_equal (c->mounts[2].propagation, MS_PRIVATE | MS_REC);
  assert_null (c->mounts[2].data);
}

static void
test_full_config_process (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (full_config);
  struct cfg_process *p = c->process;

  assert_non_null (p);
  assert_true (p->terminal);
  assert_int_equal (p->console_height, 24);
  assert_int_equal (p->console_width, 80);
  assert_string_equal (p->args[0], "sh");
  assert_string_equal (p->args[2], "echo hi");
  assert_null (p->args[3]);
  assert_string_equal (p->env[1], "TERM=xterm");
  assert_null (p->env[2]);
  assert_string_equal (p->cwd, "/home/user");
  assert_int_equal (p->user.uid, 1000);
  assert_int_equal (p->user.gid, 100);
  assert_true (p->user.has_umask);
  assert_int_equal (p->user.umask, 022);
  assert_int_equal (p->user.n_additional_gids, 3);
  assert_int_equal (p->user.additional_gids[2], 7);
  assert_true (p->has_caps);
  assert_string_equal (p->caps.bounding[1], "CAP_KILL");
  assert_string_equal (p->caps.effective[0], "CAP_CHOWN");
  assert_null (p->caps.inheritable); /* absent set */
  assert_non_null (p->caps.ambient); /* present but empty */
  assert_null (p->caps.ambient[0]);
  assert_int_equal (p->n_rlimits, 1);
  assert_int_equal (p->rlimits[0].resource, RLIMIT_NOFILE);
  assert_int_equal (p->rlimits[0].soft, 1024);
  assert_int_equal (p->rlimits[0].hard, 4096);
  assert_true (p->no_new_privileges);
  assert_true (p->has_oom_score_adj);
  assert_int_equal (p->oom_score_adj, -17);
  assert_string_equal (p->apparmor_profile, "unconfined");
  assert_string_equal (p->selinux_label, "system_u:system_r:container_t:s0");
}

static void
test_full_config_linux (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (full_config);

  for (int t = 0; t < CFG_NS_COUNT; t++)
    assert_int_equal (c->ns[t].enabled, t != CFG_NS_TIME);
  assert_null (c->ns[CFG_NS_PID].path);
  assert_string_equal (c->ns[CFG_NS_NETWORK].path, "/var/run/netns/x");
  assert_int_equal (c->n_uid_maps, 1);
  assert_int_equal (c->uid_maps[0].host_id, 100000);
  assert_int_equal (c->uid_maps[0].size, 65536);
  assert_int_equal (c->n_gid_maps, 2);
  assert_int_equal (c->gid_maps[1].container_id, 1000);
  assert_int_equal (c->n_devices, 1);
  assert_string_equal (c->devices[0].path, "/dev/fuse");
  assert_int_equal (c->n_sysctls, 2);
  assert_string_equal (c->sysctls[0].key, "net.ipv4.ip_forward");
  assert_string_equal (c->sysctls[0].value, "1");
  assert_string_equal (c->sysctls[1].key, "kernel.shmmax");
  assert_string_equal (c->cgroups_path, "/capsa/box");
  assert_int_equal (c->rootfs_propagation, MS_SLAVE | MS_REC);
  assert_string_equal (c->masked_paths[1], "/proc/keys");
  assert_null (c->masked_paths[2]);
  assert_string_equal (c->readonly_paths[0], "/proc/sys");
  assert_string_equal (c->mount_label, "system_u:object_r:container_file_t:s0");
  assert_false (c->time_monotonic.set);
}

static void
test_minimal_config (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok ("{" BASE "}");

  assert_string_equal (c->oci_version, "1.2.0");
  assert_string_equal (c->root_path, "rootfs");
  assert_false (c->root_readonly);
  assert_null (c->hostname);
  assert_null (c->process);
  assert_int_equal (c->n_mounts, 0);
  for (int t = 0; t < CFG_NS_COUNT; t++)
    assert_false (c->ns[t].enabled);
  assert_non_null (c->masked_paths);
  assert_null (c->masked_paths[0]);
  assert_non_null (c->readonly_paths);
  assert_null (c->readonly_paths[0]);
  assert_null (c->annotations);
  assert_null (c->cgroups_path);
  assert_int_equal (c->rootfs_propagation, 0);
  assert_null (c->resources);
  assert_null (c->seccomp);
  for (int k = 0; k < CFG_HOOK_COUNT; k++)
    assert_int_equal (c->hooks[k].n, 0);
}

static void
test_minimal_process_defaults (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok ("{" BASE ",'process':{'args':['/bin/true']}}");
  struct cfg_process *p = c->process;

  assert_non_null (p);
  assert_string_equal (p->cwd, "/");
  assert_non_null (p->env);
  assert_null (p->env[0]);
  assert_int_equal (p->user.uid, 0);
  assert_int_equal (p->user.gid, 0);
  assert_false (p->user.has_umask);
  assert_int_equal (p->user.n_additional_gids, 0);
  assert_false (p->has_caps);
  assert_false (p->terminal);
  assert_false (p->has_oom_score_adj);
  assert_int_equal (p->n_rlimits, 0);
  assert_null (p->apparmor_profile);

  cleanup_config struct capsa_config *c2 = parse_ok ("{" BASE ",'process':{'args':['x'],'cwd':''}}");
  assert_string_equal (c2->process->cwd, "/");
}

/* JSON null reads as "absent", as Go's encoding/json reads it. */
static void
test_null_is_absent (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'hostname':null,'process':{'args':['x'],'env':null,'capabilities':null},"
      "'linux':{'namespaces':null,'sysctl':null},'annotations':null,'mounts':null}");

  assert_null (c->hostname);
  assert_non_null (c->process->env);
  assert_false (c->process->has_caps);
  assert_null (c->annotations);

  cleanup_config struct capsa_config *c2 = parse_ok ("{" BASE ",'process':null}");
  assert_null (c2->process);
}

/* ---- errors --------------------------------------------------------------------------------- */

static void
test_syntax_error_line_column (void **state)
{
  expect_error ("{\n  'ociVersion': '1.2.0',\n  x\n}", "config.json: line 3, column 3: ", "expected");
  expect_error ("{" BASE ",'hostname':'a','hostname':'b'}", "config.json: line 1,", "duplicate object key");
  expect_error ("", "config.json: line 1, column 0:");
  expect_error ("{" BASE "} trailing", "config.json: line 1,", "end of file expected");
}

static void
test_not_an_object (void **state)
{
  expect_error ("['ociVersion']", "config.json: must be a JSON object");
}

static void
test_required_fields (void **state)
{
  expect_error ("{'root':{'path':'rootfs'}}", "config.json: ociVersion: is required");
  expect_error ("{'ociVersion':'1.2.0'}", "config.json: root: is required");
  expect_error ("{'ociVersion':'1.2.0','root':{}}", "config.json: root.path: is required");
  expect_error ("{'ociVersion':'1.2.0','root':{'path':''}}", "config.json: root.path: must not be empty");
  expect_error ("{'ociVersion':1,'root':{'path':'r'}}", "config.json: ociVersion: must be a string");
  expect_error ("{'ociVersion':'1.2.0','root':{'path':['r']}}", "config.json: root.path: must be a string");
  expect_error ("{'ociVersion':'1.2.0','root':{'path':'r','readonly':'yes'}}",
                "config.json: root.readonly: must be a boolean");
}

static void
test_process_args_errors (void **state)
{
  expect_error ("{" BASE ",'process':{'args':[]}}", "config.json: process.args: must be a non-empty array of strings");
  expect_error ("{" BASE ",'process':{'cwd':'/'}}", "config.json: process.args: must be a non-empty array of strings");
  expect_error ("{" BASE ",'process':{'args':'sh'}}", "config.json: process.args: must be an array of strings");
  expect_error ("{" BASE ",'process':{'args':['sh',1]}}", "config.json: process.args[1]: must be a string");
  expect_error ("{" BASE ",'process':{'args':['sh'],'env':['A=1',null]}}",
                "config.json: process.env[1]: must be a string");
  expect_error ("{" BASE ",'process':{'args':['sh'],'cwd':'tmp'}}",
                "config.json: process.cwd: must be an absolute path");
  expect_error ("{" BASE ",'process':[]}", "config.json: process: must be an object");
}

static void
test_process_number_ranges (void **state)
{
  expect_error ("{" BASE ",'process':{'args':['x'],'user':{'uid':4294967295}}}",
                "config.json: process.user.uid: must be an integer between 0 and 4294967294");
  expect_error ("{" BASE ",'process':{'args':['x'],'user':{'gid':-1}}}", "config.json: process.user.gid:");
  expect_error ("{" BASE ",'process':{'args':['x'],'user':{'uid':1.5}}}", "config.json: process.user.uid:");
  expect_error ("{" BASE ",'process':{'args':['x'],'user':{'umask':512}}}", "config.json: process.user.umask:");
  expect_error ("{" BASE ",'process':{'args':['x'],'user':{'additionalGids':[1,'2']}}}",
                "config.json: process.user.additionalGids[1]: must be an integer");
  expect_error ("{" BASE ",'process':{'args':['x'],'oomScoreAdj':1001}}",
                "config.json: process.oomScoreAdj: must be an integer between -1000 and 1000");
  expect_error ("{" BASE ",'process':{'args':['x'],'consoleSize':{'height':10}}}",
                "config.json: process.consoleSize.width: is required");
  expect_error ("{" BASE ",'process':{'args':['x'],'terminal':1}}", "config.json: process.terminal: must be a boolean");

  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'process':{'args':['x'],'user':{'uid':4294967294,'gid':4294967294}}}");
  assert_int_equal (c->process->user.uid, 4294967294u);
}

static void
test_wrong_types_everywhere (void **state)
{
  static const char *const cases[][2] = {
    { "'hostname':5", "config.json: hostname: must be a string" },
    { "'mounts':{}", "config.json: mounts: must be an array" },
    { "'mounts':[5]", "config.json: mounts[0]: must be an object" },
    { "'mounts':[{'destination':'/a','options':'ro'}]", "config.json: mounts[0].options: must be an array of strings" },
    { "'linux':[]", "config.json: linux: must be an object" },
    { "'linux':{'namespaces':{}}", "config.json: linux.namespaces: must be an array" },
    { "'linux':{'namespaces':['pid']}", "config.json: linux.namespaces[0]: must be an object" },
    { "'linux':{'namespaces':[{'type':7}]}", "config.json: linux.namespaces[0].type: must be a string" },
    { "'linux':{'namespaces':[{}]}", "config.json: linux.namespaces[0].type: is required" },
    { "'linux':{'uidMappings':[[]]}", "config.json: linux.uidMappings[0]: must be an object" },
    { "'linux':{'devices':[{'path':'/dev/x'}]}", "config.json: linux.devices[0].type: is required" },
    { "'linux':{'sysctl':[]}", "config.json: linux.sysctl: must be an object" },
    { "'linux':{'cgroupsPath':true}", "config.json: linux.cgroupsPath: must be a string" },
    { "'linux':{'maskedPaths':[1]}", "config.json: linux.maskedPaths[0]: must be a string" },
    { "'linux':{'readonlyPaths':['proc']}", "config.json: linux.readonlyPaths[0]: must be an absolute path" },
    { "'linux':{'timeOffsets':[]}", "config.json: linux.timeOffsets: must be an object" },
    { "'linux':{'mountLabel':{}}", "config.json: linux.mountLabel: must be a string" },
    { "'process':{'args':['x'],'capabilities':{'bounding':'CAP_KILL'}}",
      "config.json: process.capabilities.bounding: must be an array of strings" },
    { "'process':{'args':['x'],'rlimits':{}}", "config.json: process.rlimits: must be an array" },
    { "'process':{'args':['x'],'rlimits':[{'type':'RLIMIT_CPU','soft':'1','hard':1}]}",
      "config.json: process.rlimits[0].soft: must be an integer" },
    { "'process':{'args':['x'],'selinuxLabel':false}", "config.json: process.selinuxLabel: must be a string" },
  };

  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      cleanup_free char *json = NULL;
      assert_true (asprintf (&json, "{" BASE ",%s}", cases[i][0]) > 0);
      expect_error (json, cases[i][1]);
    }
}

static void
test_file_errors_and_name (void **state)
{
  cleanup_err capsa_err *err = NULL;
  struct capsa_config *c = NULL;
  char dir[] = "/tmp/capsa-test-config-XXXXXX", path[64];

  assert_int_equal (cfg_parse_file ("/nonexistent/capsa/config.json", &c, &err), -1);
  assert_string_equal (err->msg, "open config file /nonexistent/capsa/config.json: no such file or directory");
  assert_int_equal (err->errnum, ENOENT);
  capsa_err_free (&err);

  assert_non_null (mkdtemp (dir));
  snprintf (path, sizeof path, "%s/config.json", dir);
  FILE *f = fopen (path, "w");
  assert_non_null (f);
  fputs ("{\"ociVersion\":\"1.2.0\",\n\"root\":{\"path\":\"rootfs\"},\n\"hostname\":}", f);
  fclose (f);
  assert_int_equal (cfg_parse_file (path, &c, &err), -1);
  assert_non_null (strstr (err->msg, path));
  assert_non_null (strstr (err->msg, ": line 3, column "));
  capsa_err_free (&err);

  f = fopen (path, "w");
  assert_non_null (f);
  fputs ("{\"ociVersion\":\"1.2.0\",\"root\":{\"path\":\"rootfs\"},\"hostname\":\"h\"}", f);
  fclose (f);
  assert_int_equal (cfg_parse_file (path, &c, &err), 0);
  assert_string_equal (c->hostname, "h");
  cfg_free (c);

  assert_int_equal (cfg_parse_file (dir, &c, &err), -1); /* a directory: read fails */
  assert_non_null (strstr (err->msg, "read config file"));
  unlink (path);
  rmdir (dir);
}

static void
test_hostile_input (void **state)
{
  /* Huge numbers, deep nesting, embedded NUL: errors, never crashes. */
  expect_error ("{" BASE ",'x':99999999999999999999}", "too big integer");
  expect_error ("{" BASE ",'x':1e400}", "real number overflow");
  expect_error ("{" BASE ",'x':'a\\u0000b'}", "config.json: line 1");

  size_t n = 100000;
  cleanup_free char *deep = malloc (2 * n + 1);
  assert_non_null (deep);
  memset (deep, '[', n);
  memset (deep + n, ']', n);
  deep[2 * n] = '\0';
  expect_error (deep, "maximum parsing depth");

  cleanup_err capsa_err *err = NULL;
  struct capsa_config *c = NULL;
  static const char nul[] = "{\"ociVersion\":\"1\0\"}";
  assert_int_equal (cfg_parse_string (nul, sizeof nul - 1, NULL, &c, &err), -1);
  assert_non_null (strstr (err->msg, "config.json: line 1"));
}

/* ---- mounts ----------------------------------------------------------------------------------- */

static void
test_mount_option_words (void **state)
{
  unsigned long f = 0, cl = 0, pr = 0;

  assert_int_equal (cfg_mount_option ("ro", &f, &cl, &pr), 1);
  assert_int_equal (cfg_mount_option ("nosuid", &f, &cl, &pr), 1);
  assert_int_equal (cfg_mount_option ("nodev", &f, &cl, &pr), 1);
  assert_int_equal (cfg_mount_option ("rbind", &f, &cl, &pr), 1);
  assert_int_equal (cfg_mount_option ("rprivate", &f, &cl, &pr), 1);
  assert_int_equal (f, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_BIND | MS_REC);
  assert_int_equal (cl, 0);
  assert_int_equal (pr, MS_PRIVATE | MS_REC);
  assert_int_equal (cfg_mount_option ("mode=755", &f, &cl, &pr), 0);

  /* A later word wins: rw clears ro; suid clears nosuid. */
  assert_int_equal (cfg_mount_option ("rw", &f, &cl, &pr), 1);
  assert_int_equal (cfg_mount_option ("suid", &f, &cl, &pr), 1);
  assert_int_equal (f & (MS_RDONLY | MS_NOSUID), 0);
  assert_int_equal (cl, MS_RDONLY | MS_NOSUID);
  assert_int_equal (cfg_mount_option ("ro", &f, &cl, &pr), 1);
  assert_int_equal (cl, MS_NOSUID);
  assert_int_equal (cfg_mount_option ("shared", &f, &cl, &pr), 1);
  assert_int_equal (pr, MS_SHARED);
  assert_int_equal (cfg_mount_option ("noexec", &f, &cl, &pr), 1);
  assert_true (f & MS_NOEXEC);
  assert_int_equal (cfg_mount_option ("relatime", &f, &cl, &pr), 1);
  assert_int_equal (cfg_mount_option ("nosymfollow", &f, &cl, &pr), 1);
  assert_true (f & MS_RELATIME);
  assert_true (f & MS_NOSYMFOLLOW);

  /* Ignored words are consumed (return 1) but change nothing; unknown words are data. */
  unsigned long f2 = f, cl2 = cl, pr2 = pr;
  assert_int_equal (cfg_mount_option ("idmap", &f, &cl, &pr), 1);
  assert_int_equal (cfg_mount_option ("ridmap", &f, &cl, &pr), 1);
  assert_int_equal (cfg_mount_option ("tmpcopyup", &f, &cl, &pr), 1);
  assert_int_equal (cfg_mount_option ("rro", &f, &cl, &pr), 0);
  assert_int_equal (cfg_mount_option ("rnosuid", &f, &cl, &pr), 0);
  assert_int_equal (cfg_mount_option ("size=1m", &f, &cl, &pr), 0);
  assert_int_equal (f, f2);
  assert_int_equal (cl, cl2);
  assert_int_equal (pr, pr2);
}

static void
test_mount_derivation (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'mounts':["
      "{'destination':'/a','type':'tmpfs',"
      " 'options':['ro','nosuid','nodev','rbind','rprivate','mode=755','idmap','rro','size=1m']},"
      "{'destination':'/b','type':'bind','source':'/src'},"
      "{'destination':'/c','source':'/src','options':['bind','rw','unbindable']},"
      "{'destination':'relative/d','type':'tmpfs','options':['','mode=1777']}]}");

  struct cfg_mount *m = c->mounts;
  assert_int_equal (m[0].flags, MS_RDONLY | MS_NOSUID | MS_NODEV | MS_BIND | MS_REC);
  assert_int_equal (m[0].propagation, MS_PRIVATE | MS_REC);
  assert_string_equal (m[0].data, "mode=755,rro,size=1m");
  assert_true (m[0].is_bind);
  assert_string_equal (m[0].options[6], "idmap"); /* raw words kept as given */
  assert_null (m[0].source);

  assert_true (m[1].is_bind); /* by type alone */
  assert_int_equal (m[1].flags, MS_BIND);
  assert_null (m[1].data);
  assert_non_null (m[1].options);

  assert_null (m[2].type);
  assert_true (m[2].is_bind);
  assert_int_equal (m[2].flags, MS_BIND);
  assert_int_equal (m[2].clear_flags, MS_RDONLY);
  assert_int_equal (m[2].propagation, MS_UNBINDABLE);

  /* runtime-spec: a relative destination is relative to "/" (deprecated, runc accepts it). */
  assert_string_equal (m[3].destination, "/relative/d");
  assert_string_equal (m[3].data, "mode=1777");
}

static void
test_mount_errors (void **state)
{
  expect_error ("{" BASE ",'mounts':[{'destination':'/a'},{'destination':''}]}",
                "config.json: mounts[1].destination: must be an absolute path");
  expect_error ("{" BASE ",'mounts':[{'type':'tmpfs'}]}", "config.json: mounts[0].destination: is required");
  expect_error ("{" BASE ",'mounts':[{'destination':'/a','options':['ro',5]}]}",
                "config.json: mounts[0].options[1]: must be a string");
  expect_error ("{" BASE ",'mounts':[{'destination':'/a','source':{}}]}",
                "config.json: mounts[0].source: must be a string");
}

/* ---- namespaces -------------------------------------------------------------------------------- */

static void
test_namespaces_with_paths (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'linux':{'namespaces':[{'type':'network','path':'/proc/1/ns/net'},"
      "{'type':'ipc','path':''},{'type':'time'},{'type':'user','path':'/run/userns/x'}]}}");

  assert_true (c->ns[CFG_NS_NETWORK].enabled);
  assert_string_equal (c->ns[CFG_NS_NETWORK].path, "/proc/1/ns/net");
  assert_true (c->ns[CFG_NS_IPC].enabled);
  assert_null (c->ns[CFG_NS_IPC].path); /* empty path: a new one */
  assert_true (c->ns[CFG_NS_TIME].enabled);
  assert_string_equal (c->ns[CFG_NS_USER].path, "/run/userns/x");
  assert_false (c->ns[CFG_NS_PID].enabled);
  assert_false (c->ns[CFG_NS_MOUNT].enabled);
}

static void
test_namespace_errors (void **state)
{
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'pid'},{'type':'mount'},{'type':'foo'}]}}",
                "config.json: linux.namespaces[2].type: unknown namespace type \"foo\"");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'pid'},{'type':'ipc'},{'type':'pid','path':'/x'}]}}",
                "config.json: linux.namespaces[2].type: duplicate namespace type \"pid\"");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'net'}]}}", "unknown namespace type \"net\"");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'uts','path':'ns/uts'}]}}",
                "config.json: linux.namespaces[0].path: must be an absolute path");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'uts','path':5}]}}",
                "config.json: linux.namespaces[0].path: must be a string");
}

static void
test_ns_tables (void **state)
{
  static const char *const names[] = { "pid", "network", "mount", "ipc", "uts", "user", "cgroup", "time" };
  static const char *const proc[] = { "pid", "net", "mnt", "ipc", "uts", "user", "cgroup", "time" };
  static const int flags[] = { CLONE_NEWPID, CLONE_NEWNET,  CLONE_NEWNS,     CLONE_NEWIPC,
                               CLONE_NEWUTS, CLONE_NEWUSER, CLONE_NEWCGROUP, CLONE_NEWTIME };

  for (int t = 0; t < CFG_NS_COUNT; t++)
    {
      assert_int_equal (cfg_ns_from_name (names[t]), t);
      assert_string_equal (cfg_ns_name (t), names[t]);
      assert_string_equal (cfg_ns_proc_name (t), proc[t]);
      assert_int_equal (cfg_ns_clone_flag (t), flags[t]);
    }
  assert_int_equal (cfg_ns_from_name ("net"), -1);
  assert_int_equal (cfg_ns_from_name (""), -1);
  assert_null (cfg_ns_name (CFG_NS_COUNT));
  assert_null (cfg_ns_proc_name (-1));
  assert_int_equal (cfg_ns_clone_flag (99), 0);
}

static void
test_id_mappings (void **state)
{
  /* A new user namespace without mappings is allowed: the runtime decides. */
  cleanup_config struct capsa_config *c = parse_ok ("{" BASE ",'linux':{'namespaces':[{'type':'user'}]}}");
  assert_int_equal (c->n_uid_maps, 0);

  expect_error ("{" BASE ",'linux':{'uidMappings':[{'containerID':0,'hostID':1000,'size':1}]}}",
                "config.json: linux.uidMappings: given but no user namespace is configured");
  expect_error ("{" BASE ",'linux':{'gidMappings':[{'containerID':0,'hostID':1000,'size':1}]}}",
                "config.json: linux.gidMappings: given but no user namespace is configured");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'user'}],"
                "'uidMappings':[{'containerID':0,'hostID':1000,'size':0}]}}",
                "config.json: linux.uidMappings[0].size: must be an integer between 1 and 4294967295");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'user'}],"
                "'gidMappings':[{'containerID':0,'hostID':4294967295,'size':2}]}}",
                "config.json: linux.gidMappings[0].size:");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'user'}],'uidMappings':[{'containerID':0,'size':1}]}}",
                "config.json: linux.uidMappings[0].hostID: is required");
}

/* ---- process details ------------------------------------------------------------------------------ */

static void
test_rlimits (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'process':{'args':['x'],'rlimits':["
      "{'type':'RLIMIT_CORE','soft':18446744073709551615,'hard':18446744073709551615},"
      "{'type':'RLIMIT_NPROC','soft':0,'hard':9223372036854775807},"
      "{'type':'RLIMIT_STACK','soft':-1,'hard':-1}]},"
      "'annotations':{'note':'18446744073709551615 in a string stays as it is',"
      "'esc':'\\'18446744073709551615'}}");
  struct cfg_process *p = c->process;

  assert_int_equal (p->n_rlimits, 3);
  assert_int_equal (p->rlimits[0].resource, RLIMIT_CORE);
  assert_true (p->rlimits[0].soft == RLIM_INFINITY);
  assert_true (p->rlimits[0].hard == RLIM_INFINITY);
  assert_int_equal (p->rlimits[1].resource, RLIMIT_NPROC);
  assert_int_equal (p->rlimits[1].soft, 0);
  assert_true (p->rlimits[1].hard == INT64_MAX);
  assert_true (p->rlimits[2].soft == RLIM_INFINITY);
  assert_string_equal (json_string_value (json_object_get (c->annotations, "note")),
                       "18446744073709551615 in a string stays as it is");
  assert_string_equal (json_string_value (json_object_get (c->annotations, "esc")), "\"18446744073709551615");

  expect_error ("{" BASE ",'process':{'args':['x'],'rlimits':[{'type':'RLIMIT_FOO','soft':1,'hard':1}]}}",
                "config.json: process.rlimits[0].type: unknown resource limit \"RLIMIT_FOO\"");
  expect_error ("{" BASE ",'process':{'args':['x'],'rlimits':[{'type':'RLIMIT_CPU','soft':1,'hard':1},"
                "{'type':'RLIMIT_CPU','soft':2,'hard':2}]}}",
                "config.json: process.rlimits[1].type: duplicate resource limit \"RLIMIT_CPU\"");
  expect_error ("{" BASE ",'process':{'args':['x'],'rlimits':[{'type':'RLIMIT_CPU','soft':5,'hard':1}]}}",
                "config.json: process.rlimits[0].soft: must not be above hard");
  expect_error ("{" BASE ",'process':{'args':['x'],'rlimits':[{'type':'RLIMIT_CPU','soft':1}]}}",
                "config.json: process.rlimits[0].hard: is required");
  expect_error ("{" BASE ",'process':{'args':['x'],'rlimits':[{'type':'RLIMIT_CPU','soft':-2,'hard':1}]}}",
                "config.json: process.rlimits[0].soft: must be an integer");
  /* Only that exact literal is rewritten: other oversized numbers stay syntax errors. */
  expect_error ("{" BASE ",'x':18446744073709551616}", "config.json: line 1,", "too big integer");
  expect_error ("{" BASE ",'x':-18446744073709551615}", "too big negative integer");
}

static void
test_rlimit_names (void **state)
{
  static const struct
  {
    const char *name;
    int r;
  } all[] = {
    { "RLIMIT_AS", RLIMIT_AS },
    { "RLIMIT_CORE", RLIMIT_CORE },
    { "RLIMIT_CPU", RLIMIT_CPU },
    { "RLIMIT_DATA", RLIMIT_DATA },
    { "RLIMIT_FSIZE", RLIMIT_FSIZE },
    { "RLIMIT_LOCKS", RLIMIT_LOCKS },
    { "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
    { "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
    { "RLIMIT_NICE", RLIMIT_NICE },
    { "RLIMIT_NOFILE", RLIMIT_NOFILE },
    { "RLIMIT_NPROC", RLIMIT_NPROC },
    { "RLIMIT_RSS", RLIMIT_RSS },
    { "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
    { "RLIMIT_RTTIME", RLIMIT_RTTIME },
    { "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
    { "RLIMIT_STACK", RLIMIT_STACK },
  };

  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    assert_int_equal (cfg_rlimit_from_name (all[i].name), all[i].r);
  assert_int_equal (cfg_rlimit_from_name ("RLIMIT_NOPE"), -1);
  assert_int_equal (cfg_rlimit_from_name ("nofile"), -1);
  assert_int_equal (cfg_rlimit_from_name (""), -1);
}

static void
test_capabilities_absent_sets (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'process':{'args':['x'],'capabilities':{'effective':['CAP_NET_RAW']}}}");

  assert_true (c->process->has_caps);
  assert_null (c->process->caps.bounding);
  assert_null (c->process->caps.permitted);
  assert_string_equal (c->process->caps.effective[0], "CAP_NET_RAW");
  assert_null (c->process->caps.effective[1]);
}

/* ---- linux details -------------------------------------------------------------------------------- */

static void
test_devices (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'linux':{'devices':["
      "{'path':'/dev/fuse','type':'c','major':10,'minor':229,'fileMode':8630,'uid':5,'gid':6},"
      "{'path':'/dev/sda','type':'b','major':8,'minor':0},"
      "{'path':'/dev/fifo','type':'p'},"
      "{'path':'/dev/null2','type':'u','major':1,'minor':3,'fileMode':420}]}}");
  struct cfg_device *d = c->devices;

  assert_int_equal (c->n_devices, 4);
  assert_int_equal (d[0].type, 'c');
  assert_int_equal (d[0].major, 10);
  assert_int_equal (d[0].minor, 229);
  assert_true (d[0].has_mode);
  assert_int_equal (d[0].mode, 0666); /* S_IFCHR|0666: type bits dropped */
  assert_true (d[0].has_uid && d[0].has_gid);
  assert_int_equal (d[0].uid, 5);
  assert_int_equal (d[0].gid, 6);
  assert_int_equal (d[1].type, 'b');
  assert_false (d[1].has_mode);
  assert_int_equal (d[1].mode, 0666);
  assert_false (d[1].has_uid);
  assert_int_equal (d[2].type, 'p');
  assert_string_equal (d[2].path, "/dev/fifo");
  assert_int_equal (d[3].mode, 0644);

  expect_error ("{" BASE ",'linux':{'devices':[{'path':'/dev/x','type':'c','minor':1}]}}",
                "config.json: linux.devices[0].major: is required");
  expect_error ("{" BASE ",'linux':{'devices':[{'path':'/dev/x','type':'b','major':1}]}}",
                "config.json: linux.devices[0].minor: is required");
  expect_error ("{" BASE ",'linux':{'devices':[{'path':'/dev/x','type':'x'}]}}",
                "config.json: linux.devices[0].type: unknown device type \"x\"");
  expect_error ("{" BASE ",'linux':{'devices':[{'path':'/dev/x','type':'cb'}]}}", "linux.devices[0].type:");
  expect_error ("{" BASE ",'linux':{'devices':[{'path':'dev/x','type':'p'}]}}",
                "config.json: linux.devices[0].path: must be an absolute path");
  expect_error ("{" BASE ",'linux':{'devices':[{'path':'/dev/x','type':'c','major':-1,'minor':1}]}}",
                "config.json: linux.devices[0].major: must be an integer");
}

static void
test_rootfs_propagation (void **state)
{
  static const struct
  {
    const char *word;
    unsigned long flags;
  } all[] = {
    { "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
    { "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
    { "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
    { "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
  };

  for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
    {
      cleanup_free char *json = NULL;
      assert_true (asprintf (&json, "{" BASE ",'linux':{'rootfsPropagation':'%s'}}", all[i].word) > 0);
      cleanup_config struct capsa_config *c = parse_ok (json);
      assert_int_equal (c->rootfs_propagation, all[i].flags);
    }
  cleanup_config struct capsa_config *c = parse_ok ("{" BASE ",'linux':{'rootfsPropagation':''}}");
  assert_int_equal (c->rootfs_propagation, 0);
  expect_error ("{" BASE ",'linux':{'rootfsPropagation':'rbind'}}",
                "config.json: linux.rootfsPropagation: unknown propagation \"rbind\"");
  expect_error ("{" BASE ",'linux':{'rootfsPropagation':'ro'}}", "unknown propagation \"ro\"");
}

static void
test_time_offsets (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'linux':{'namespaces':[{'type':'time'}],"
      "'timeOffsets':{'monotonic':{'secs':-86400,'nanosecs':500},'boottime':{'secs':3600}}}}");

  assert_true (c->time_monotonic.set);
  assert_int_equal (c->time_monotonic.secs, -86400);
  assert_int_equal (c->time_monotonic.nanosecs, 500);
  assert_true (c->time_boottime.set);
  assert_int_equal (c->time_boottime.secs, 3600);
  assert_int_equal (c->time_boottime.nanosecs, 0);

  expect_error ("{" BASE ",'linux':{'timeOffsets':{'monotonic':{'secs':1}}}}",
                "config.json: linux.timeOffsets: given but no time namespace is configured");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'time','path':'/proc/1/ns/time'}],"
                "'timeOffsets':{'boottime':{'secs':1}}}}",
                "config.json: linux.timeOffsets: cannot be set when joining");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'time'}],'timeOffsets':{'realtime':{'secs':1}}}}",
                "config.json: linux.timeOffsets.realtime: unknown clock");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'time'}],"
                "'timeOffsets':{'monotonic':{'nanosecs':1000000000}}}}",
                "config.json: linux.timeOffsets.monotonic.nanosecs: must be an integer between 0 and 999999999");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'time'}],'timeOffsets':{'monotonic':5}}}",
                "config.json: linux.timeOffsets.monotonic: must be an object");
}

static void
test_sysctl (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'linux':{'namespaces':[{'type':'network'},{'type':'ipc'}],"
      "'sysctl':{'net/ipv4/conf/eth0.100/forwarding':'1','fs.mqueue.msg_max':'64'}}}");

  assert_int_equal (c->n_sysctls, 2);
  assert_string_equal (c->sysctls[0].key, "net/ipv4/conf/eth0.100/forwarding");
  assert_string_equal (c->sysctls[1].value, "64");

  expect_error ("{" BASE ",'linux':{'sysctl':{'net.ipv4.ip_forward':1}}}",
                "config.json: linux.sysctl.net.ipv4.ip_forward: must be a string");
  expect_error ("{" BASE ",'linux':{'sysctl':{'../../etc/passwd':'x'}}}",
                "config.json: linux.sysctl: invalid key \"../../etc/passwd\"");
  expect_error ("{" BASE ",'linux':{'sysctl':{'':'x'}}}", "linux.sysctl: invalid key");
  expect_error ("{" BASE ",'linux':{'sysctl':{'/proc/x':'x'}}}", "linux.sysctl: invalid key");
  expect_error ("{" BASE ",'linux':{'sysctl':{'net..x':'x'}}}", "linux.sysctl: invalid key");
}

#define NS_ALL "'namespaces':[{'type':'network'},{'type':'ipc'},{'type':'uts'},{'type':'mount'}]"

/* Each namespaced key is accepted with its own namespace, and refused without it, naming the key
 * and the namespace; keys that are the host's are refused whatever the namespaces. */
static void
test_sysctl_namespaces (void **state)
{
  static const struct
  {
    const char *key, *ns;
  } keyed[] = {
    { "net.ipv4.ping_group_range", "network" },
    { "net/ipv4/ip_forward", "network" },
    { "kernel.shmmax", "ipc" },
    { "kernel.msgmnb", "ipc" },
    { "kernel/sem", "ipc" },
    { "kernel.shm_rmid_forced", "ipc" },
    { "fs.mqueue.queues_max", "ipc" },
    { "kernel.domainname", "uts" },
    { "kernel.hostname", "uts" },
  };
  char json[1024], want[256];

  for (size_t i = 0; i < sizeof keyed / sizeof keyed[0]; i++)
    {
      snprintf (json, sizeof json, "{" BASE ",'linux':{" NS_ALL ",'sysctl':{'%s':'1'}}}", keyed[i].key);
      cfg_free (parse_ok (json));
      /* every namespace but the one it needs */
      snprintf (json, sizeof json, "{" BASE ",'linux':{'namespaces':[%s%s%s{'type':'mount'}],'sysctl':{'%s':'1'}}}",
                strcmp (keyed[i].ns, "network") ? "{'type':'network'}," : "",
                strcmp (keyed[i].ns, "ipc") ? "{'type':'ipc'}," : "",
                strcmp (keyed[i].ns, "uts") ? "{'type':'uts'}," : "", keyed[i].key);
      snprintf (want, sizeof want, "`%s` needs the container's own %s namespace (the config shares the host's)",
                keyed[i].key, keyed[i].ns);
      expect_error (json, "config.json: linux.sysctl: ", want, "refused, it would change the host");
    }
  static const char *const host[] = { "kernel.core_pattern", "vm.overcommit_memory", "kernel/core_pattern",
                                      "fs.file-max",         "kernel.pid_max",       "user.max_user_namespaces",
                                      "kernel.shm" };
  for (size_t i = 0; i < sizeof host / sizeof host[0]; i++)
    {
      snprintf (json, sizeof json, "{" BASE ",'linux':{" NS_ALL ",'sysctl':{'%s':'1'}}}", host[i]);
      snprintf (want, sizeof want, "config.json: linux.sysctl: `%s` is not namespaced: refused", host[i]);
      expect_error (json, want, "it would change the host");
    }
}

/* A namespace joined by path counts as the host's when the path is the runtime's own (runc's
 * isHostNetNS); another namespace, or a path that is not there (create reports that), does not. */
static void
test_sysctl_joined_namespaces (void **state)
{
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'network','path':'/proc/self/ns/net'}],"
                "'sysctl':{'net.ipv4.ip_forward':'1'}}}",
                "`net.ipv4.ip_forward` needs the container's own network namespace (the config joins the host's)");
  expect_error ("{" BASE ",'linux':{'namespaces':[{'type':'ipc','path':'/proc/1/../self/ns/ipc'}],"
                "'sysctl':{'kernel.shmmax':'1'}}}",
                "`kernel.shmmax` needs the container's own ipc namespace (the config joins the host's)");
  cfg_free (parse_ok ("{" BASE ",'linux':{'namespaces':[{'type':'network','path':'/var/run/netns/nosuch'}],"
                      "'sysctl':{'net.ipv4.ip_forward':'1'}}}"));
  /* a namespace that is not the runtime's: a child's own */
  int sv[2];
  assert_int_equal (pipe (sv), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    {
      char c = unshare (CLONE_NEWNET) == 0 ? 'y' : 'n';
      if (write (sv[1], &c, 1) == 1)
        pause ();
      _exit (0);
    }
  char c = 0;
  assert_int_equal (read (sv[0], &c, 1), 1);
  if (c == 'y')
    {
      char json[512];
      snprintf (json, sizeof json,
                "{" BASE ",'linux':{'namespaces':[{'type':'network','path':'/proc/%d/ns/net'}],"
                "'sysctl':{'net.ipv4.ip_forward':'1'}}}",
                (int) pid);
      cfg_free (parse_ok (json));
    }
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  close (sv[0]);
  close (sv[1]);
}

static void
test_sysctl_helpers (void **state)
{
  char rel[64];

  assert_int_equal (cfg_sysctl_namespace ("net.ipv4.conf.eth0/100.rp_filter"), CFG_NS_NETWORK);
  assert_int_equal (cfg_sysctl_namespace ("kernel.hostname"), CFG_NS_UTS);
  assert_int_equal (cfg_sysctl_namespace ("kernel/shmall"), CFG_NS_IPC);
  assert_int_equal (cfg_sysctl_namespace ("kernel.core_pattern"), -1);
  assert_int_equal (cfg_sysctl_namespace ("netfilter.x"), -1);
  assert_int_equal (cfg_sysctl_relpath ("net.ipv4.conf.eth0/100.rp_filter", rel, sizeof rel), 0);
  assert_string_equal (rel, "net/ipv4/conf/eth0.100/rp_filter");
  assert_int_equal (cfg_sysctl_relpath ("net/ipv4/conf/eth0.100/rp_filter", rel, sizeof rel), 0);
  assert_string_equal (rel, "net/ipv4/conf/eth0.100/rp_filter");
  assert_int_equal (cfg_sysctl_relpath ("net.ipv4.ip_forward", rel, 8), -1);
  /* two values for one name */
  expect_error ("{" BASE ",'hostname':'a','linux':{" NS_ALL ",'sysctl':{'kernel.hostname':'b'}}}",
                "linux.sysctl: `kernel.hostname` conflicts with the config's `hostname`");
}

/* runc's checkProcMount: /proc only as a procfs, under it only binds onto lxcfs's files. */
static void
test_proc_mounts (void **state)
{
  cfg_free (parse_ok ("{" BASE ",'mounts':[{'destination':'/proc','type':'proc','source':'proc'},"
                      "{'destination':'/proc/cpuinfo','type':'bind','source':'/dev/null'},"
                      "{'destination':'/proc/','type':'bind','source':'/proc'},"
                      "{'destination':'/procfoo','type':'bind','source':'/tmp'}]}"));
  expect_error ("{" BASE ",'mounts':[{'destination':'/proc','type':'bind','source':'/tmp'}]}",
                "config.json: mounts[0].destination: `/proc` is not a procfs (a bind mount): refused");
  expect_error ("{" BASE ",'mounts':[{'destination':'//proc/.','type':'tmpfs','source':'tmpfs'}]}",
                "mounts[0].destination: `//proc/.` is not a procfs (tmpfs): refused");
  expect_error ("{" BASE ",'mounts':[{'destination':'/proc/sys','type':'bind','source':'/tmp'}]}",
                "mounts[0].destination: `/proc/sys` is inside /proc: refused");
  expect_error ("{" BASE ",'mounts':[{'destination':'/x/../proc/sys/kernel','type':'tmpfs'}]}",
                "is inside /proc: refused");
  assert_int_equal (cfg_proc_mount_allowed ("/proc/sys/kernel/ns_last_pid", false), 1);
  assert_int_equal (cfg_proc_mount_allowed ("/etc", false), -1);
  assert_int_equal (cfg_proc_mount_allowed ("/proc", false), 0);
}

static void
test_annotations (void **state)
{
  cleanup_config struct capsa_config *c = parse_ok ("{" BASE ",'annotations':{'a':'1','b.c/d':'2'}}");

  assert_true (json_is_object (c->annotations));
  assert_int_equal (json_object_size (c->annotations), 2);
  assert_string_equal (json_string_value (json_object_get (c->annotations, "b.c/d")), "2");

  expect_error ("{" BASE ",'annotations':['a']}", "config.json: annotations: must be an object");
  expect_error ("{" BASE ",'annotations':{'a':1}}", "config.json: annotations.a: must be a string");
}

static void
test_custom_name (void **state)
{
  cleanup_err capsa_err *err = NULL;
  struct capsa_config *c = NULL;
  static const char bad_json[] = "{\"ociVersion\":\"1\",\"root\":{\"path\":\"r\"},\"mounts\":[{}]}";

  assert_int_equal (cfg_parse_string (bad_json, sizeof bad_json - 1, "bundle/config.json", &c, &err), -1);
  assert_string_equal (err->msg, "bundle/config.json: mounts[0].destination: is required");
  assert_int_equal (err->errnum, 0);
  capsa_err_free (&err);

  assert_int_equal (cfg_parse_string (bad_json, sizeof bad_json - 1, NULL, &c, &err), -1);
  assert_string_equal (err->msg, "config.json: mounts[0].destination: is required");
}

/* ---- resource ranges and ociVersion (issue 21 item 10) -------------------------------------- */

static void
test_resource_ranges (void **state)
{
  (void) state;
  static const char *const ok[] = {
    "'memory':{'limit':-1,'swap':-1}",
    "'memory':{'limit':0}",
    "'memory':{'limit':268435456,'reservation':-1}",
    "'cpu':{'quota':-1}",
    "'cpu':{'quota':0}",
    "'cpu':{'quota':50000,'period':100000}",
    "'cpu':{'period':100000}",
    "'cpu':{'quota':-1,'period':0}",
  };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    {
      cleanup_free char *j = NULL;
      assert_true (asprintf (&j, "{" BASE ",'linux':{'resources':{%s}}}", ok[i]) > 0);
      cfg_free (parse_ok (j));
    }
  expect_error ("{" BASE ",'linux':{'resources':{'memory':{'limit':-5}}}}",
                "config.json: linux.resources.memory.limit: -5 is out of range (bytes, or -1 for unlimited)");
  expect_error ("{" BASE ",'linux':{'resources':{'memory':{'swap':-2}}}}", "linux.resources.memory.swap: -2");
  expect_error ("{" BASE ",'linux':{'resources':{'memory':{'reservation':-9}}}}", "memory.reservation: -9");
  expect_error ("{" BASE ",'linux':{'resources':{'memory':{'limit':'1g'}}}}",
                "linux.resources.memory.limit: must be an integer");
  expect_error ("{" BASE ",'linux':{'resources':{'cpu':{'quota':-2,'period':0}}}}",
                "config.json: linux.resources.cpu.quota: -2 is out of range");
  expect_error ("{" BASE ",'linux':{'resources':{'cpu':{'quota':50000,'period':0}}}}",
                "linux.resources.cpu.period: 0 with a quota (50000): a quota needs a period");
  expect_error ("{" BASE ",'linux':{'resources':{'cpu':{'period':-100}}}}", "linux.resources.cpu.period: -100");
  expect_error ("{" BASE ",'linux':{'resources':[]}}", "config.json: linux.resources: must be an object");
}

static void
test_oci_version (void **state)
{
  (void) state;
  static const char *const ok[] = { "1.0.0", "1.2.0", "1.0.2-dev", "1", "1.1.0-rc.1" };
  for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
    {
      cleanup_free char *j = NULL;
      assert_true (asprintf (&j, "{'ociVersion':'%s','root':{'path':'rootfs'}}", ok[i]) > 0);
      cfg_free (parse_ok (j));
    }
  expect_error ("{'ociVersion':'99.0.0','root':{'path':'r'}}",
                "config.json: ociVersion 99.0.0: unsupported major version, capsa supports 1.x");
  expect_error ("{'ociVersion':'2.0.0','root':{'path':'r'}}", "ociVersion 2.0.0: unsupported major version");
  expect_error ("{'ociVersion':'0.9','root':{'path':'r'}}", "ociVersion 0.9: unsupported major version");
  expect_error ("{'ociVersion':'','root':{'path':'r'}}", "config.json: ociVersion: `` is not a version");
  expect_error ("{'ociVersion':'-1.0','root':{'path':'r'}}", "ociVersion: `-1.0` is not a version");
  expect_error ("{'ociVersion':'1x','root':{'path':'r'}}", "ociVersion: `1x` is not a version");
}

/* ---- hooks, seccomp ------------------------------------------------------------------------ */

static void
test_hooks_typed (void **state)
{
  (void) state;
  cleanup_config struct capsa_config *c = parse_ok (
      "{" BASE ",'hooks':{'prestart':[{'path':'/bin/a','args':['a','1'],'env':['X=1'],'timeout':5},"
      "                              {'path':'/bin/b'}],"
      "           'poststop':[{'path':'/bin/c','env':[]}],'createRuntime':null,'poststart':[]}}");
  const struct cfg_hook_list *pre = &c->hooks[CFG_HOOK_PRESTART];
  assert_int_equal (pre->n, 2);
  assert_string_equal (pre->hooks[0].path, "/bin/a");
  assert_string_equal (pre->hooks[0].args[1], "1");
  assert_null (pre->hooks[0].args[2]);
  assert_string_equal (pre->hooks[0].env[0], "X=1");
  assert_int_equal (pre->hooks[0].timeout, 5);
  assert_null (pre->hooks[1].args); /* absent: argv is the path */
  assert_null (pre->hooks[1].env);  /* absent: the runtime's environment */
  assert_int_equal (pre->hooks[1].timeout, 0);
  assert_non_null (c->hooks[CFG_HOOK_POSTSTOP].hooks[0].env); /* given empty: an empty environment */
  assert_null (c->hooks[CFG_HOOK_POSTSTOP].hooks[0].env[0]);
  assert_int_equal (c->hooks[CFG_HOOK_CREATE_RUNTIME].n, 0);
  assert_int_equal (c->hooks[CFG_HOOK_POSTSTART].n, 0);
  assert_string_equal (cfg_hook_kind_name (CFG_HOOK_START_CONTAINER), "startContainer");
  assert_null (cfg_hook_kind_name (CFG_HOOK_COUNT));
}

static void
test_hook_errors (void **state)
{
  (void) state;
  expect_error ("{" BASE ",'hooks':[]}", "config.json: hooks: must be an object");
  expect_error ("{" BASE ",'hooks':{'preStart':[]}}", "config.json: hooks.preStart: unknown kind of hook");
  expect_error ("{" BASE ",'hooks':{'prestart':{}}}", "config.json: hooks.prestart: must be an array");
  expect_error ("{" BASE ",'hooks':{'prestart':['/bin/a']}}", "hooks.prestart[0]: must be an object");
  expect_error ("{" BASE ",'hooks':{'createRuntime':[{'path':'relative/x'}]}}",
                "config.json: hooks.createRuntime[0].path: must be an absolute path");
  expect_error ("{" BASE ",'hooks':{'poststop':[{'args':[]}]}}", "hooks.poststop[0].path: must be an absolute path");
  expect_error ("{" BASE ",'hooks':{'poststop':[{'path':'/bin/true','timeout':0}]}}",
                "hooks.poststop[0].timeout: must be a positive integer");
  expect_error ("{" BASE ",'hooks':{'poststop':[{'path':'/bin/true','timeout':'5'}]}}", "timeout");
  expect_error ("{" BASE ",'hooks':{'poststop':[{'path':'/x','timeout':1},{'path':'/y','args':'a'}]}}",
                "hooks.poststop[1].args: must be an array of strings");
  expect_error ("{" BASE ",'hooks':{'poststop':[{'path':'/y','env':[1]}]}}",
                "hooks.poststop[0].env[0]: must be a string");
}

#define SECCOMP_FULL                                                                                                   \
  "{" BASE ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ERRNO','defaultErrnoRet':38,"                               \
  "  'architectures':['SCMP_ARCH_X86_64','SCMP_ARCH_X86'],'flags':['SECCOMP_FILTER_FLAG_LOG'],"                        \
  "  'listenerPath':'/run/l.sock','listenerMetadata':'meta',"                                                          \
  "  'syscalls':[{'names':['read','write'],'action':'SCMP_ACT_ALLOW'},"                                                \
  "              {'names':['kill'],'action':'SCMP_ACT_ERRNO','errnoRet':1,"                                            \
  "               'args':[{'index':1,'value':9,'op':'SCMP_CMP_EQ'},"                                                   \
  "                       {'index':0,'value':-1,'valueTwo':255,'op':'SCMP_CMP_MASKED_EQ'}]}]}}}"

static void
test_seccomp_typed (void **state)
{
  (void) state;
  cleanup_config struct capsa_config *c = parse_ok (SECCOMP_FULL);
  const struct cfg_seccomp *sc = c->seccomp;
  assert_non_null (sc);
  assert_string_equal (sc->default_action, "SCMP_ACT_ERRNO");
  assert_true (sc->has_default_errno);
  assert_int_equal (sc->default_errno, 38);
  assert_string_equal (sc->architectures[1], "SCMP_ARCH_X86");
  assert_string_equal (sc->flags[0], "SECCOMP_FILTER_FLAG_LOG");
  assert_string_equal (sc->listener_path, "/run/l.sock");
  assert_string_equal (sc->listener_metadata, "meta");
  assert_int_equal (sc->n_syscalls, 2);
  assert_string_equal (sc->syscalls[0].names[1], "write");
  assert_false (sc->syscalls[0].has_errno_ret);
  assert_int_equal (sc->syscalls[0].n_args, 0);
  assert_true (sc->syscalls[1].has_errno_ret);
  assert_int_equal (sc->syscalls[1].errno_ret, 1);
  assert_int_equal (sc->syscalls[1].n_args, 2);
  assert_int_equal (sc->syscalls[1].args[0].index, 1);
  assert_int_equal (sc->syscalls[1].args[0].value, 9);
  assert_false (sc->syscalls[1].args[0].has_value_two);
  assert_true (sc->syscalls[1].args[1].value == UINT64_MAX); /* -1: every bit, as libseccomp reads it */
  assert_int_equal (sc->syscalls[1].args[1].value_two, 255);
  assert_string_equal (sc->syscalls[1].args[1].op, "SCMP_CMP_MASKED_EQ");

  cleanup_config struct capsa_config *m = parse_ok ("{" BASE
                                                    ",'linux':{'seccomp':{'defaultAction':'SCMP_ACT_ALLOW'}}}");
  assert_false (m->seccomp->has_default_errno);
  assert_non_null (m->seccomp->architectures);
  assert_null (m->seccomp->architectures[0]);
  assert_non_null (m->seccomp->flags);
  assert_int_equal (m->seccomp->n_syscalls, 0);
  cleanup_config struct capsa_config *n = parse_ok ("{" BASE ",'linux':{'seccomp':null}}");
  assert_null (n->seccomp);
}

static void
test_seccomp_errors (void **state)
{
  (void) state;
#define SC(x) "{" BASE ",'linux':{'seccomp':" x "}}"
  expect_error (SC ("[]"), "config.json: linux.seccomp: must be an object");
  expect_error (SC ("{}"), "linux.seccomp.defaultAction: is required");
  expect_error (SC ("{'defaultAction':1}"), "linux.seccomp.defaultAction: must be a string");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','defaultErrnoRet':4096}"), "linux.seccomp.defaultErrnoRet");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','architectures':'x86'}"), "linux.seccomp.architectures");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','flags':[1]}"), "linux.seccomp.flags[0]: must be a string");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':{}}"), "linux.seccomp.syscalls: must be an array");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[1]}"),
                "linux.seccomp.syscalls[0]: must be an object");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'action':'SCMP_ACT_LOG'}]}"),
                "linux.seccomp.syscalls[0].names: must be an array of syscall names");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read',2],'action':'SCMP_ACT_LOG'}]}"),
                "linux.seccomp.syscalls[0].names[1]: must be a string");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':['read']}]}"),
                "linux.seccomp.syscalls[0].action: is required");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'A','errnoRet':-1}]}"),
                "linux.seccomp.syscalls[0].errnoRet");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'A','args':{}}]}"),
                "linux.seccomp.syscalls[0].args: must be an array");
  expect_error (
      SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'A','args':[{},{},{},{},{},{},{}]}]}"),
      "linux.seccomp.syscalls[0].args: at most 6 conditions");
  expect_error (
      SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'A','args':[{'index':6,'value':1}]}]}"),
      "linux.seccomp.syscalls[0].args[0].index");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'A','args':[{'index':0}]}]}"),
                "linux.seccomp.syscalls[0].args[0].value: is required");
  expect_error (
      SC ("{'defaultAction':'SCMP_ACT_ALLOW','syscalls':[{'names':[],'action':'A','args':[{'index':0,'value':1,'valueTwo':'x'}]}]}"),
      "linux.seccomp.syscalls[0].args[0].valueTwo");
  expect_error (SC ("{'defaultAction':'SCMP_ACT_ALLOW','listenerPath':3}"),
                "linux.seccomp.listenerPath: must be a string");
#undef SC
}

/* ---- linux.resources ---------------------------------------------------------------------- */

#define RES_FULL                                                                                                       \
  "{" BASE ",'linux':{'resources':{"                                                                                   \
  " 'memory':{'limit':1048576,'swap':-1,'reservation':1024,'swappiness':10,'disableOOMKiller':true,"                   \
  "           'checkBeforeUpdate':true,'kernel':null},"                                                                \
  " 'cpu':{'shares':512,'quota':50000,'period':100000,'cpus':'0-1','mems':'0','burst':5,'idle':1},"                    \
  " 'pids':{'limit':-1},"                                                                                              \
  " 'blockIO':{'weight':100,'leafWeight':50,'weightDevice':[{'major':8,'minor':0,'weight':200},"                       \
  "            {'major':8,'minor':16,'leafWeight':20}],"                                                               \
  "            'throttleReadBpsDevice':[{'major':8,'minor':0,'rate':1048576}],'throttleWriteIOPSDevice':[]},"          \
  " 'network':{'classID':7,'priorities':[{'name':'eth0','priority':3}]},"                                              \
  " 'hugepageLimits':[{'pageSize':'2MB','limit':4194304}],"                                                            \
  " 'unified':{'memory.high':'1G','cgroup.freeze':'0'},"                                                               \
  " 'devices':[{'allow':false,'access':'rwm'},{'allow':true,'type':'c','major':1,'minor':3,'access':'rw'},"            \
  "            {'allow':true,'type':'p','major':-1,'minor':null,'access':''}],"                                        \
  " 'rdma':{'mlx5_0':{'hcaHandles':3}}}}}"

static void
test_resources_typed (void **state)
{
  (void) state;
  cleanup_config struct capsa_config *c = parse_ok (RES_FULL);
  const struct cfg_resources *r = c->resources;
  assert_non_null (r);
  assert_int_equal (r->sections, (1u << CFG_RES_SECTION_COUNT) - 1);
  assert_int_equal (r->v[CFG_RES_MEMORY_LIMIT].i, 1048576);
  assert_int_equal (r->v[CFG_RES_MEMORY_SWAP].i, -1);
  assert_true (r->v[CFG_RES_MEMORY_DISABLE_OOM_KILLER].set && r->v[CFG_RES_MEMORY_DISABLE_OOM_KILLER].b);
  assert_false (r->v[CFG_RES_MEMORY_KERNEL].set); /* null: absent */
  assert_false (r->v[CFG_RES_MEMORY_USE_HIERARCHY].set);
  assert_string_equal (r->v[CFG_RES_CPU_CPUS].s, "0-1");
  assert_int_equal (r->v[CFG_RES_CPU_QUOTA].i, 50000);
  assert_int_equal (r->v[CFG_RES_PIDS_LIMIT].i, -1);
  assert_int_equal (r->v[CFG_RES_BLKIO_WEIGHT].i, 100);
  assert_int_equal (r->n_weight_devices, 2);
  assert_true (r->weight_devices[0].has_weight && !r->weight_devices[0].has_leaf_weight);
  assert_int_equal (r->weight_devices[1].leaf_weight, 20);
  assert_int_equal (r->n_throttles[CFG_THROTTLE_READ_BPS], 1);
  assert_int_equal (r->throttles[CFG_THROTTLE_READ_BPS][0].rate, 1048576);
  assert_int_equal (r->n_throttles[CFG_THROTTLE_WRITE_IOPS], 0);
  assert_int_equal (r->v[CFG_RES_NETWORK_CLASS_ID].i, 7);
  assert_string_equal (r->priorities[0].name, "eth0");
  assert_string_equal (r->hugepages[0].page_size, "2MB");
  assert_int_equal (r->n_unified, 2);
  assert_string_equal (r->unified[0].key, "memory.high");
  assert_int_equal (r->n_devices, 3);
  assert_int_equal (r->devices[0].type, 'a');
  assert_false (r->devices[0].allow);
  assert_int_equal (r->devices[0].major, -1);
  assert_int_equal (r->devices[1].type, 'c');
  assert_int_equal (r->devices[1].minor, 3);
  assert_string_equal (r->devices[1].access, "rw");
  assert_string_equal (r->devices[2].access, "rwm"); /* empty: all */
  assert_int_equal (r->devices[2].minor, -1);
  assert_non_null (r->rdma);
  const char *section, *key;
  cfg_res_key_name (CFG_RES_CPU_REALTIME_RUNTIME, &section, &key);
  assert_string_equal (section, "cpu");
  assert_string_equal (key, "realtimeRuntime");
  assert_string_equal (cfg_throttle_name (CFG_THROTTLE_WRITE_IOPS), "throttleWriteIOPSDevice");

  cleanup_config struct capsa_config *e = parse_ok ("{" BASE ",'linux':{'resources':{}}}");
  assert_non_null (e->resources);
  assert_int_equal (e->resources->sections, 0); /* asks for no cgroup */
  cleanup_config struct capsa_config *d = parse_ok ("{" BASE ",'linux':{'resources':{'devices':[]}}}");
  assert_int_equal (d->resources->sections, 1u << CFG_RES_SECTION_DEVICES);
}

/* The same object from `update`: messages start with the caller's `where`. */
static void
test_resources_update_messages (void **state)
{
  (void) state;
  static const struct
  {
    const char *json, *msg;
  } bad[] = {
    { "[]", "update: must be an object" },
    { "{'memory':{'limitt':5}}", "update.memory.limitt: unknown resource" },
    { "{'memroy':{}}", "update.memroy: unknown resource" },
    { "{'memory':5}", "update.memory: must be an object" },
    { "{'pids':{'limit':'many'}}", "update.pids.limit: must be an integer" },
    { "{'cpu':{'cpus':3}}", "update.cpu.cpus: must be a string" },
    { "{'memory':{'useHierarchy':1}}", "update.memory.useHierarchy: must be true or false" },
    { "{'memory':{'limit':-5}}", "update.memory.limit: -5 is out of range (bytes, or -1 for unlimited)" },
    { "{'cpu':{'quota':-2}}", "update.cpu.quota: -2 is out of range" },
    { "{'cpu':{'quota':50000,'period':0}}", "update.cpu.period: 0 with a quota (50000)" },
    { "{'blockIO':{'weightDevice':[{'major':8}]}}", "update.blockIO.weightDevice[0]: each entry needs integer major" },
    { "{'blockIO':{'weightDevice':{}}}", "update.blockIO.weightDevice: must be an array" },
    { "{'blockIO':{'throttleReadBpsDevice':[{'major':8,'minor':0}]}}",
      "update.blockIO.throttleReadBpsDevice[0]: must be an integer" },
    { "{'hugepageLimits':[{'pageSize':'../2MB','limit':1}]}", "update.hugepageLimits[0]: needs a pageSize string" },
    { "{'network':{'priorities':[{'name':'eth0'}]}}", "update.network.priorities[0]: needs a name and an integer" },
    { "{'unified':{'memory.high':1}}", "update.unified.memory.high: must be a string" },
    { "{'unified':{'../x.y':'1'}}", "update.unified.../x.y: not a cgroup v2 file name" },
    { "{'unified':{'nodot':'1'}}", "not a cgroup v2 file name" },
    { "{'devices':{}}", "update.devices: must be an array" },
    { "{'devices':[{'access':'rwm'}]}", "update.devices[0].allow: must be true or false" },
    { "{'devices':[{'allow':true,'type':'x'}]}", "update.devices[0].type: `x` is not a, c, b or p" },
    { "{'devices':[{'allow':true,'access':'rwx'}]}", "update.devices[0].access: `rwx` is not made of r, w and m" },
    { "{'devices':[{'allow':true,'major':'8'}]}", "update.devices[0].major: must be an integer" },
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      cleanup_free char *j = q (bad[i].json);
      json_t *doc = json_loads (j, 0, NULL);
      assert_non_null (doc);
      struct cfg_resources *r = NULL;
      cleanup_err capsa_err *err = NULL;
      assert_int_equal (cfg_parse_resources (doc, "update", &r, &err), -1);
      assert_null (r);
      if (strstr (err->msg, bad[i].msg) == NULL)
        fail_msg ("error \"%s\" does not contain \"%s\"", err->msg, bad[i].msg);
      json_decref (doc);
    }
  struct cfg_resources *r = NULL;
  assert_int_equal (cfg_parse_resources (json_null (), "update", &r, NULL), 0);
  assert_null (r);
  /* in a config, the document's name first */
  expect_error ("{" BASE ",'linux':{'resources':{'memory':{'limitt':5}}}}",
                "config.json: linux.resources.memory.limitt: unknown resource");
}

/* ---- cfg_to_json: parse -> to_json -> parse gives the same typed config ------------------- */

/* True when a and b are both set; the test fails when only one is.  cmocka's assertions do not
 * tell clang's analyzer that a failure ends the test, so the callers return on false. */
static bool
both_set (const void *a, const void *b)
{
  if (a == NULL || b == NULL)
    {
      assert_ptr_equal (a, b);
      return false;
    }
  return true;
}

static void
assert_strv_equal (char **a, char **b)
{
  if (!both_set (a, b))
    return;
  for (size_t i = 0; a[i] || b[i]; i++)
    {
      assert_non_null (a[i]);
      assert_non_null (b[i]);
      assert_string_equal (a[i], b[i]);
    }
}

static void
assert_str_equal (const char *a, const char *b)
{
  if (both_set (a, b))
    assert_string_equal (a, b);
}

static void
assert_maps_equal (const struct cfg_id_map *a, size_t na, const struct cfg_id_map *b, size_t nb)
{
  assert_int_equal (na, nb);
  if (na)
    assert_memory_equal (a, b, na * sizeof *a);
}

static void
assert_process_equal (const struct cfg_process *a, const struct cfg_process *b)
{
  if (!both_set (a, b))
    return;
  assert_int_equal (a->terminal, b->terminal);
  assert_int_equal (a->console_height, b->console_height);
  assert_int_equal (a->console_width, b->console_width);
  assert_strv_equal (a->args, b->args);
  assert_strv_equal (a->env, b->env);
  assert_string_equal (a->cwd, b->cwd);
  assert_int_equal (a->user.uid, b->user.uid);
  assert_int_equal (a->user.gid, b->user.gid);
  assert_int_equal (a->user.has_umask, b->user.has_umask);
  assert_int_equal (a->user.umask, b->user.umask);
  assert_int_equal (a->user.n_additional_gids, b->user.n_additional_gids);
  for (size_t i = 0; i < a->user.n_additional_gids; i++)
    assert_int_equal (a->user.additional_gids[i], b->user.additional_gids[i]);
  assert_int_equal (a->has_caps, b->has_caps);
  assert_strv_equal (a->caps.bounding, b->caps.bounding);
  assert_strv_equal (a->caps.effective, b->caps.effective);
  assert_strv_equal (a->caps.inheritable, b->caps.inheritable);
  assert_strv_equal (a->caps.permitted, b->caps.permitted);
  assert_strv_equal (a->caps.ambient, b->caps.ambient);
  assert_int_equal (a->n_rlimits, b->n_rlimits);
  if (a->n_rlimits)
    assert_memory_equal (a->rlimits, b->rlimits, a->n_rlimits * sizeof *a->rlimits);
  assert_int_equal (a->no_new_privileges, b->no_new_privileges);
  assert_int_equal (a->has_oom_score_adj, b->has_oom_score_adj);
  assert_int_equal (a->oom_score_adj, b->oom_score_adj);
  assert_str_equal (a->apparmor_profile, b->apparmor_profile);
  assert_str_equal (a->selinux_label, b->selinux_label);
}

static void
assert_mounts_equal (const struct capsa_config *a, const struct capsa_config *b)
{
  assert_int_equal (a->n_mounts, b->n_mounts);
  for (size_t i = 0; i < a->n_mounts; i++)
    {
      const struct cfg_mount *x = &a->mounts[i], *y = &b->mounts[i];
      assert_string_equal (x->destination, y->destination);
      assert_str_equal (x->type, y->type);
      assert_str_equal (x->source, y->source);
      assert_strv_equal (x->options, y->options);
      assert_int_equal (x->flags, y->flags);
      assert_int_equal (x->clear_flags, y->clear_flags);
      assert_int_equal (x->propagation, y->propagation);
      assert_str_equal (x->data, y->data);
      assert_int_equal (x->is_bind, y->is_bind);
      assert_int_equal (x->idmap, y->idmap);
      assert_maps_equal (x->uid_maps, x->n_uid_maps, y->uid_maps, y->n_uid_maps);
      assert_maps_equal (x->gid_maps, x->n_gid_maps, y->gid_maps, y->n_gid_maps);
    }
}

static void
assert_hooks_equal (const struct capsa_config *a, const struct capsa_config *b)
{
  for (int k = 0; k < CFG_HOOK_COUNT; k++)
    {
      assert_int_equal (a->hooks[k].n, b->hooks[k].n);
      for (size_t i = 0; i < a->hooks[k].n; i++)
        {
          const struct cfg_hook *x = &a->hooks[k].hooks[i], *y = &b->hooks[k].hooks[i];
          assert_string_equal (x->path, y->path);
          assert_strv_equal (x->args, y->args);
          assert_strv_equal (x->env, y->env);
          assert_int_equal (x->timeout, y->timeout);
        }
    }
}

static void
assert_seccomp_equal (const struct cfg_seccomp *a, const struct cfg_seccomp *b)
{
  if (!both_set (a, b))
    return;
  assert_string_equal (a->default_action, b->default_action);
  assert_int_equal (a->has_default_errno, b->has_default_errno);
  assert_int_equal (a->default_errno, b->default_errno);
  assert_strv_equal (a->architectures, b->architectures);
  assert_strv_equal (a->flags, b->flags);
  assert_str_equal (a->listener_path, b->listener_path);
  assert_str_equal (a->listener_metadata, b->listener_metadata);
  assert_int_equal (a->n_syscalls, b->n_syscalls);
  for (size_t i = 0; i < a->n_syscalls; i++)
    {
      const struct cfg_seccomp_rule *x = &a->syscalls[i], *y = &b->syscalls[i];
      assert_strv_equal (x->names, y->names);
      assert_string_equal (x->action, y->action);
      assert_int_equal (x->has_errno_ret, y->has_errno_ret);
      assert_int_equal (x->errno_ret, y->errno_ret);
      assert_int_equal (x->n_args, y->n_args);
      for (size_t k = 0; k < x->n_args; k++)
        {
          assert_int_equal (x->args[k].index, y->args[k].index);
          assert_true (x->args[k].value == y->args[k].value);
          assert_int_equal (x->args[k].has_value_two, y->args[k].has_value_two);
          assert_true (x->args[k].value_two == y->args[k].value_two);
          assert_str_equal (x->args[k].op, y->args[k].op);
        }
    }
}

static void
assert_resources_equal (const struct cfg_resources *a, const struct cfg_resources *b)
{
  assert_int_equal (a->sections, b->sections);
  for (int k = 0; k < CFG_RES_COUNT; k++)
    {
      assert_int_equal (a->v[k].set, b->v[k].set);
      assert_int_equal (a->v[k].i, b->v[k].i);
      assert_int_equal (a->v[k].b, b->v[k].b);
      assert_str_equal (a->v[k].s, b->v[k].s);
    }
  assert_int_equal (a->n_weight_devices, b->n_weight_devices);
  if (a->n_weight_devices)
    assert_memory_equal (a->weight_devices, b->weight_devices, a->n_weight_devices * sizeof *a->weight_devices);
  for (int t = 0; t < CFG_THROTTLE_COUNT; t++)
    {
      assert_int_equal (a->n_throttles[t], b->n_throttles[t]);
      if (a->n_throttles[t])
        assert_memory_equal (a->throttles[t], b->throttles[t], a->n_throttles[t] * sizeof *a->throttles[t]);
    }
  assert_int_equal (a->n_hugepages, b->n_hugepages);
  for (size_t i = 0; i < a->n_hugepages; i++)
    {
      assert_string_equal (a->hugepages[i].page_size, b->hugepages[i].page_size);
      assert_int_equal (a->hugepages[i].limit, b->hugepages[i].limit);
    }
  assert_int_equal (a->n_priorities, b->n_priorities);
  for (size_t i = 0; i < a->n_priorities; i++)
    {
      assert_string_equal (a->priorities[i].name, b->priorities[i].name);
      assert_int_equal (a->priorities[i].priority, b->priorities[i].priority);
    }
  assert_int_equal (a->n_unified, b->n_unified);
  for (size_t i = 0; i < a->n_unified; i++)
    {
      assert_string_equal (a->unified[i].key, b->unified[i].key);
      assert_string_equal (a->unified[i].value, b->unified[i].value);
    }
  assert_int_equal (a->n_devices, b->n_devices);
  if (a->n_devices)
    assert_memory_equal (a->devices, b->devices, a->n_devices * sizeof *a->devices);
  assert_true ((a->rdma == NULL) == (b->rdma == NULL));
  if (a->rdma)
    assert_true (json_equal (a->rdma, b->rdma));
}

static void
assert_linux_equal (const struct capsa_config *a, const struct capsa_config *b)
{
  for (int t = 0; t < CFG_NS_COUNT; t++)
    {
      assert_int_equal (a->ns[t].enabled, b->ns[t].enabled);
      assert_str_equal (a->ns[t].path, b->ns[t].path);
    }
  assert_maps_equal (a->uid_maps, a->n_uid_maps, b->uid_maps, b->n_uid_maps);
  assert_maps_equal (a->gid_maps, a->n_gid_maps, b->gid_maps, b->n_gid_maps);
  assert_memory_equal (&a->time_monotonic, &b->time_monotonic, sizeof a->time_monotonic);
  assert_memory_equal (&a->time_boottime, &b->time_boottime, sizeof a->time_boottime);
  assert_int_equal (a->n_devices, b->n_devices);
  for (size_t i = 0; i < a->n_devices; i++)
    {
      const struct cfg_device *x = &a->devices[i], *y = &b->devices[i];
      assert_string_equal (x->path, y->path);
      assert_int_equal (x->type, y->type);
      assert_int_equal (x->major, y->major);
      assert_int_equal (x->minor, y->minor);
      assert_int_equal (x->has_mode, y->has_mode);
      assert_int_equal (x->mode, y->mode);
      assert_int_equal (x->has_uid, y->has_uid);
      assert_int_equal (x->uid, y->uid);
      assert_int_equal (x->has_gid, y->has_gid);
      assert_int_equal (x->gid, y->gid);
    }
  assert_int_equal (a->n_sysctls, b->n_sysctls);
  for (size_t i = 0; i < a->n_sysctls; i++)
    {
      assert_string_equal (a->sysctls[i].key, b->sysctls[i].key);
      assert_string_equal (a->sysctls[i].value, b->sysctls[i].value);
    }
  assert_str_equal (a->cgroups_path, b->cgroups_path);
  assert_int_equal (a->rootfs_propagation, b->rootfs_propagation);
  assert_strv_equal (a->masked_paths, b->masked_paths);
  assert_strv_equal (a->readonly_paths, b->readonly_paths);
  assert_str_equal (a->mount_label, b->mount_label);
  assert_seccomp_equal (a->seccomp, b->seccomp);
  assert_true ((a->resources == NULL) == (b->resources == NULL));
  if (a->resources)
    assert_resources_equal (a->resources, b->resources);
}

static void
assert_config_equal (const struct capsa_config *a, const struct capsa_config *b)
{
  assert_string_equal (a->oci_version, b->oci_version);
  assert_string_equal (a->root_path, b->root_path);
  assert_int_equal (a->root_readonly, b->root_readonly);
  assert_str_equal (a->hostname, b->hostname);
  assert_str_equal (a->domainname, b->domainname);
  assert_process_equal (a->process, b->process);
  assert_mounts_equal (a, b);
  assert_linux_equal (a, b);
  assert_hooks_equal (a, b);
  assert_true ((a->annotations == NULL) == (b->annotations == NULL));
  if (a->annotations)
    assert_true (json_equal (a->annotations, b->annotations));
}

/* parse(json) -> cfg_to_json -> parse: the same typed config, and the same document again. */
static void
round_trip (const char *json)
{
  cleanup_config struct capsa_config *a = parse_ok (json);
  json_t *doc = cfg_to_json (a);
  assert_non_null (doc);
  cleanup_free char *s = json_dumps (doc, JSON_COMPACT);
  assert_non_null (s);
  cleanup_err capsa_err *err = NULL;
  cleanup_config struct capsa_config *b = NULL;
  if (cfg_parse_string (s, strlen (s), "saved", &b, &err) < 0)
    fail_msg ("the written config does not parse: %s (%s)", err->msg, s);
  assert_config_equal (a, b);
  json_t *again = cfg_to_json (b);
  assert_true (json_equal (doc, again));
  json_decref (again);
  json_decref (doc);
}

static void
test_to_json_round_trip (void **state)
{
  (void) state;
  round_trip (full_config);
  round_trip ("{" BASE "}");
  round_trip (SECCOMP_FULL);
  round_trip (RES_FULL);
  round_trip ("{" BASE ",'linux':{'resources':{'memory':{},'devices':[],'rdma':5}}}");
  round_trip ("{" BASE ",'hooks':{'prestart':[{'path':'/bin/a','args':['a','1'],'env':[],'timeout':5},{'path':'/b'}],"
              "'poststop':[{'path':'/bin/c','env':['A=b']}]}}");
  round_trip ("{" BASE ",'process':{'args':['sh'],'rlimits':[{'type':'RLIMIT_CORE','soft':18446744073709551615,"
              "'hard':18446744073709551615},{'type':'RLIMIT_NOFILE','soft':1024,'hard':4096}],"
              "'capabilities':{'bounding':[],'effective':['CAP_KILL']},'consoleSize':{'height':0,'width':7},"
              "'user':{'uid':4294967294,'gid':1,'umask':18,'additionalGids':[5,6]},'oomScoreAdj':-1000}}");
  round_trip (
      "{" BASE ",'mounts':[{'destination':'rel/dir','type':'bind','source':'/s','options':['rbind','ro','mode=1']},"
      "{'destination':'/m','type':'tmpfs','options':['nosuid','rw','size=1k','rprivate']},"
      "{'destination':'/i','source':'/x','options':['rbind','ridmap'],"
      " 'uidMappings':[{'containerID':0,'hostID':1,'size':2}],'gidMappings':[{'containerID':0,'hostID':1,'size':2}]}],"
      "'linux':{'namespaces':[{'type':'time'},{'type':'mount'},{'type':'network','path':'/proc/1/ns/net'}],"
      "'timeOffsets':{'monotonic':{},'boottime':{'secs':-5,'nanosecs':7}},"
      "'devices':[{'path':'/dev/p/','type':'p'},{'path':'/dev/b','type':'b','major':8,'minor':1,'fileMode':8630}],"
      "'rootfsPropagation':'unbindable','resources':{'pids':{'limit':10},'devices':[{'allow':false,'access':'rwm'}]}}}");
}

/* From a document in memory (what capsa run hands create): the same typed config; doc is borrowed. */
static void
test_parse_json_document (void **state)
{
  (void) state;
  cleanup_free char *j = q (full_config);
  json_t *doc = json_loads (j, 0, NULL);
  assert_non_null (doc);
  cleanup_config struct capsa_config *a = parse_ok (full_config), *b = NULL;
  cleanup_err capsa_err *err = NULL;
  assert_int_equal (cfg_parse_json (doc, "mem", &b, &err), 0);
  assert_config_equal (a, b);
  assert_int_equal (doc->refcount, 1);
  json_t *bad = json_pack ("{s:s}", "ociVersion", "1.2.0");
  assert_int_equal (cfg_parse_json (bad, "mem", &b, &err), -1);
  assert_string_equal (err->msg, "mem: root: is required");
  json_decref (bad);
  json_decref (doc);
}

/* What the saved config drops: properties capsa does not read. */
static void
test_to_json_drops_unknown (void **state)
{
  (void) state;
  cleanup_config struct capsa_config *c = parse_ok (full_config);
  json_t *doc = cfg_to_json (c);
  assert_null (json_object_get (doc, "unknownField"));
  assert_string_equal (json_string_value (json_object_get (json_object_get (doc, "root"), "path")), "rootfs");
  assert_null (json_object_get (doc, "hooks")); /* 'prestart':[] is no hook */
  json_t *p = cfg_process_to_json (c->process);
  assert_true (json_equal (p, json_object_get (doc, "process")));
  json_decref (p);
  json_decref (doc);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_full_config_top),
    cmocka_unit_test (test_full_config_mounts),
    cmocka_unit_test (test_full_config_process),
    cmocka_unit_test (test_full_config_linux),
    cmocka_unit_test (test_minimal_config),
    cmocka_unit_test (test_minimal_process_defaults),
    cmocka_unit_test (test_null_is_absent),
    cmocka_unit_test (test_syntax_error_line_column),
    cmocka_unit_test (test_not_an_object),
    cmocka_unit_test (test_required_fields),
    cmocka_unit_test (test_process_args_errors),
    cmocka_unit_test (test_process_number_ranges),
    cmocka_unit_test (test_wrong_types_everywhere),
    cmocka_unit_test (test_file_errors_and_name),
    cmocka_unit_test (test_hostile_input),
    cmocka_unit_test (test_mount_option_words),
    cmocka_unit_test (test_mount_derivation),
    cmocka_unit_test (test_mount_errors),
    cmocka_unit_test (test_namespaces_with_paths),
    cmocka_unit_test (test_namespace_errors),
    cmocka_unit_test (test_ns_tables),
    cmocka_unit_test (test_id_mappings),
    cmocka_unit_test (test_rlimits),
    cmocka_unit_test (test_rlimit_names),
    cmocka_unit_test (test_capabilities_absent_sets),
    cmocka_unit_test (test_devices),
    cmocka_unit_test (test_rootfs_propagation),
    cmocka_unit_test (test_time_offsets),
    cmocka_unit_test (test_sysctl),
    cmocka_unit_test (test_sysctl_namespaces),
    cmocka_unit_test (test_sysctl_joined_namespaces),
    cmocka_unit_test (test_sysctl_helpers),
    cmocka_unit_test (test_proc_mounts),
    cmocka_unit_test (test_annotations),
    cmocka_unit_test (test_custom_name),
    cmocka_unit_test (test_hooks_typed),
    cmocka_unit_test (test_hook_errors),
    cmocka_unit_test (test_seccomp_typed),
    cmocka_unit_test (test_seccomp_errors),
    cmocka_unit_test (test_resources_typed),
    cmocka_unit_test (test_resources_update_messages),
    cmocka_unit_test (test_to_json_round_trip),
    cmocka_unit_test (test_to_json_drops_unknown),
    cmocka_unit_test (test_parse_json_document),
  };
  /* a group of its own (resource ranges, ociVersion): kept apart from the list above */
  const struct CMUnitTest input_tests[] = {
    cmocka_unit_test (test_resource_ranges),
    cmocka_unit_test (test_oci_version),
  };
  int failed = cmocka_run_group_tests (tests, NULL, NULL);
  return failed + cmocka_run_group_tests_name ("config input ranges", input_tests, NULL, NULL);
}
