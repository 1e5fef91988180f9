/* The default config.json and the features document: see spec.h. */
#include <string.h>
#include <unistd.h>

#include "spec.h"
#include "util.h"

static const char default_spec[]
    = "{"
      "\"ociVersion\": \"" CAPSA_OCI_VERSION "\","
      "\"process\": {"
      "  \"terminal\": true, \"user\": {\"uid\": 0, \"gid\": 0}, \"args\": [\"sh\"],"
      "  \"env\": [\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\", \"TERM=xterm\"],"
      "  \"cwd\": \"/\","
      "  \"capabilities\": {"
      "    \"bounding\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
      "    \"effective\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"],"
      "    \"permitted\": [\"CAP_AUDIT_WRITE\", \"CAP_KILL\", \"CAP_NET_BIND_SERVICE\"]},"
      "  \"rlimits\": [{\"type\": \"RLIMIT_NOFILE\", \"hard\": 1024, \"soft\": 1024}],"
      "  \"noNewPrivileges\": true},"
      "\"root\": {\"path\": \"rootfs\", \"readonly\": true},"
      "\"hostname\": \"capsa\","
      "\"mounts\": ["
      "  {\"destination\": \"/proc\", \"type\": \"proc\", \"source\": \"proc\"},"
      "  {\"destination\": \"/dev\", \"type\": \"tmpfs\", \"source\": \"tmpfs\","
      "   \"options\": [\"nosuid\", \"strictatime\", \"mode=755\", \"size=65536k\"]},"
      "  {\"destination\": \"/dev/pts\", \"type\": \"devpts\", \"source\": \"devpts\","
      "   \"options\": [\"nosuid\", \"noexec\", \"newinstance\", \"ptmxmode=0666\", \"mode=0620\", \"gid=5\"]},"
      "  {\"destination\": \"/dev/shm\", \"type\": \"tmpfs\", \"source\": \"shm\","
      "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"mode=1777\", \"size=65536k\"]},"
      "  {\"destination\": \"/dev/mqueue\", \"type\": \"mqueue\", \"source\": \"mqueue\","
      "   \"options\": [\"nosuid\", \"noexec\", \"nodev\"]},"
      "  {\"destination\": \"/sys\", \"type\": \"sysfs\", \"source\": \"sysfs\","
      "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"ro\"]},"
      "  {\"destination\": \"/sys/fs/cgroup\", \"type\": \"cgroup\", \"source\": \"cgroup\","
      "   \"options\": [\"nosuid\", \"noexec\", \"nodev\", \"relatime\", \"ro\"]}],"
      "\"linux\": {"
      "  \"resources\": {\"devices\": [{\"allow\": false, \"access\": \"rwm\"}]},"
      "  \"namespaces\": [{\"type\": \"pid\"}, {\"type\": \"network\"}, {\"type\": \"ipc\"}, {\"type\": \"uts\"},"
      "                   {\"type\": \"mount\"}, {\"type\": \"cgroup\"}],"
      "  \"maskedPaths\": [\"/proc/acpi\", \"/proc/asound\", \"/proc/kcore\", \"/proc/keys\", \"/proc/latency_stats\","
      "    \"/proc/timer_list\", \"/proc/timer_stats\", \"/proc/sched_debug\", \"/sys/firmware\", \"/sys/devices/virtual/powercap\","
      "    \"/proc/scsi\"],"
      "  \"readonlyPaths\": [\"/proc/bus\", \"/proc/fs\", \"/proc/irq\", \"/proc/sys\", \"/proc/sysrq-trigger\"]}"
      "}";

static void
make_rootless (json_t *spec)
{
  json_t *linux_ = json_object_get (spec, "linux");
  json_t *ns = json_object_get (linux_, "namespaces");
  size_t i;
  json_t *m;

  /* the caller's own ids become root; network stays the caller's (no slirp here) */
  json_array_clear (ns);
  json_array_append_new (ns, json_pack ("{s:s}", "type", "pid"));
  json_array_append_new (ns, json_pack ("{s:s}", "type", "ipc"));
  json_array_append_new (ns, json_pack ("{s:s}", "type", "uts"));
  json_array_append_new (ns, json_pack ("{s:s}", "type", "mount"));
  json_array_append_new (ns, json_pack ("{s:s}", "type", "cgroup"));
  json_array_append_new (ns, json_pack ("{s:s}", "type", "user"));
  json_object_set_new (linux_, "uidMappings",
                       json_pack ("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t) getuid (), "size", 1));
  json_object_set_new (linux_, "gidMappings",
                       json_pack ("[{s:i, s:I, s:i}]", "containerID", 0, "hostID", (json_int_t) getgid (), "size", 1));
  json_object_del (linux_, "resources");
  json_array_foreach (json_object_get (spec, "mounts"), i, m)
  {
    const char *type = json_string_value (json_object_get (m, "type"));
    const char *dest = json_string_value (json_object_get (m, "destination"));
    /* sysfs needs a network namespace of the user's own; mqueue stays a real mount: the
     * container's ipc namespace belongs to its user namespace (and many hosts have no
     * /dev/mqueue to bind). */
    if (type && strcmp (type, "sysfs") == 0)
      {
        json_object_set_new (m, "type", json_string ("none"));
        json_object_set_new (m, "source", json_string ("/sys"));
        json_object_set_new (m, "options", json_pack ("[s,s,s,s,s]", "rbind", "nosuid", "noexec", "nodev", "ro"));
      }
    else if (dest && strcmp (dest, "/dev/pts") == 0)
      {
        /* gid 5 is not mapped in a single-id namespace */
        json_object_set_new (
            m, "options", json_pack ("[s,s,s,s,s]", "nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"));
      }
  }
}

json_t *
capsa_spec_default (bool rootless)
{
  json_t *spec = json_loads (default_spec, 0, NULL);
  if (spec && rootless)
    make_rootless (spec);
  return spec;
}

static const char features_doc[]
    = "{"
      "\"ociVersionMin\": \"1.0.0\", \"ociVersionMax\": \"" CAPSA_OCI_VERSION "\","
      "\"hooks\": [\"prestart\", \"createRuntime\", \"createContainer\", \"startContainer\", \"poststart\","
      "  \"poststop\"],"
      "\"mountOptions\": [\"async\", \"atime\", \"bind\", \"defaults\", \"dev\", \"diratime\", \"dirsync\", \"exec\","
      "  \"idmap\", \"lazytime\", \"mand\", \"noatime\", \"nodev\", \"nodiratime\", \"noexec\", \"nolazytime\", \"nomand\","
      "  \"norelatime\", \"nostrictatime\", \"nosuid\", \"nosymfollow\", \"private\", \"rbind\", \"relatime\","
      "  \"remount\", \"ridmap\", \"ro\", \"rprivate\", \"rshared\", \"rslave\", \"runbindable\", \"rw\", \"shared\", \"slave\","
      "  \"strictatime\", \"suid\", \"sync\", \"unbindable\"],"
      "\"linux\": {"
      "  \"namespaces\": [\"cgroup\", \"ipc\", \"mount\", \"network\", \"pid\", \"time\", \"user\", \"uts\"],"
      "  \"capabilities\": [],"
      "  \"cgroup\": {\"v1\": true, \"v2\": true, \"systemd\": false, \"systemdUser\": false, \"rdma\": false},"
      "  \"seccomp\": {\"enabled\": true, \"actions\": [\"SCMP_ACT_ALLOW\", \"SCMP_ACT_ERRNO\", \"SCMP_ACT_KILL\","
      "    \"SCMP_ACT_KILL_PROCESS\", \"SCMP_ACT_KILL_THREAD\", \"SCMP_ACT_LOG\", \"SCMP_ACT_NOTIFY\","
      "    \"SCMP_ACT_TRACE\", \"SCMP_ACT_TRAP\"], \"operators\": [\"SCMP_CMP_EQ\", \"SCMP_CMP_GE\","
      "    \"SCMP_CMP_GT\", \"SCMP_CMP_LE\", \"SCMP_CMP_LT\", \"SCMP_CMP_MASKED_EQ\", \"SCMP_CMP_NE\"]},"
      "  \"apparmor\": {\"enabled\": false}, \"selinux\": {\"enabled\": false},"
      "  \"intelRdt\": {\"enabled\": false},"
      "  \"mountExtensions\": {\"idmap\": {\"enabled\": true}}},"
      "\"annotations\": {\"io.github.capsa.version\": \"" CAPSA_VERSION "\"}"
      "}";

json_t *
capsa_features (void)
{
  return json_loads (features_doc, 0, NULL);
}
