#!/bin/bash
# Starts a one-node Ceph cluster (monitor and OSD on the container's loopback, RAM-backed), radosgw on S3_PORT of every
# address, the S3 user S3_ACCESS_KEY/S3_SECRET_KEY and the bucket S3_BUCKET; then stays in the foreground until a
# daemon exits or the container is stopped.
set -euo pipefail
: "${S3_ACCESS_KEY:?set S3_ACCESS_KEY}" "${S3_SECRET_KEY:?set S3_SECRET_KEY}"
dir=/var/lib/aip-s3
conf=$dir/ceph.conf
rm -rf "${dir:?}"/*
mkdir -p "$dir/mon.a" "$dir/osd.0" "$dir/run" "$dir/rgw" "$dir/log"
fsid=$(cat /proc/sys/kernel/random/uuid)
cat > "$conf" <<CONF
[global]
fsid = $fsid
mon_host = v1:127.0.0.1:6789
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_msgr2 = false
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
keyring = /dev/null
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
mon_max_pg_per_osd = 1000
mon_data_avail_warn = 1
mon_data_avail_crit = 0
run_dir = $dir/run
admin_socket = $dir/run/\$cluster-\$name.asok
pid_file = $dir/run/\$cluster-\$name.pid
log_file = $dir/log/\$name.log
[mon]
mon_data = $dir/mon.\$id
mon_cluster_log_file = $dir/log/cluster.log
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
[osd]
osd_data = $dir/osd.\$id
osd_crush_update_on_start = false
osd_class_update_on_start = false
osd_objectstore = memstore
memstore_device_bytes = ${S3_MEMSTORE_BYTES:-4294967296}
osd_max_object_name_len = 460
osd_max_object_namespace_len = 64
[client]
rgw_data = $dir/rgw
rgw_frontends = beast endpoint=0.0.0.0:$S3_PORT tcp_nodelay=1
rgw_dns_name =
rgw_enable_usage_log = false
rgw_enable_ops_log = false
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
CONF
ceph() { timeout 10 /usr/bin/ceph -c "$conf" "$@"; }
retry() { local i; for i in $(seq 1 "$1"); do "${@:2}" >/dev/null 2>&1 && return 0; sleep 0.5; done; echo "gave up: ${*:2}" >&2; return 1; }

monmaptool --create --addv a "[v1:127.0.0.1:6789]" --fsid "$fsid" "$dir/monmap" >/dev/null
ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap"
ceph-mon -c "$conf" -i a
retry 60 ceph mon stat
uuid=$(cat /proc/sys/kernel/random/uuid)
register_osd() { printf 'osd new %s 0\nosd crush add osd.0 1 root=default host=localhost\n' "$uuid" | ceph && ceph osd ls | grep -qx 0; }
retry 60 register_osd
ceph-osd -c "$conf" -i 0 --mkfs --osd-uuid "$uuid" 2>/dev/null
ceph-osd -c "$conf" -i 0
osd_up() { ceph osd stat | grep -q '1 up'; }
retry 120 osd_up
radosgw -c "$conf" -n client.rgw.a -f &
gateway=$!
trap 'kill $gateway $(cat "$dir"/run/ceph-*.pid 2>/dev/null) 2>/dev/null; exit 0' TERM INT
radosgw-admin -c "$conf" user create --uid=aiplatform --display-name=aiplatform \
  --access-key="$S3_ACCESS_KEY" --secret-key="$S3_SECRET_KEY" >/dev/null
# radosgw wants the payload hash header, which curl's SigV4 does not add by itself.
make_bucket() {
  curl -sf -X PUT --aws-sigv4 "aws:amz:us-east-1:s3" --user "$S3_ACCESS_KEY:$S3_SECRET_KEY" \
    -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "http://127.0.0.1:$S3_PORT/$S3_BUCKET"
}
retry 120 make_bucket
echo "s3: radosgw serving bucket $S3_BUCKET on port $S3_PORT"
wait -n "$gateway"
echo "s3: radosgw exited" >&2
exit 1
