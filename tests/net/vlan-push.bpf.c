// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A test helper for tc egress on the sender's veth: gives UDP datagrams from source ports
 * 30000-30999 an 802.1Q tag of VID 7 the way a VLAN interface on a NIC with tx-vlan-offload does:
 * in the packet's metadata, not in its bytes. The receiving veth hands such a frame to XDP
 * untagged; only the driver's metadata (bpf_xdp_metadata_rx_vlan_tag) tells that it was tagged.
 */
#include <linux/bpf.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int vlan_push(struct __sk_buff *skb)
{
	__u8 hdr[24];
	__u16 sport;

	if (skb->protocol != bpf_htons(0x0800) || bpf_skb_load_bytes(skb, 14, hdr, sizeof(hdr)))
		return TC_ACT_OK;
	if ((hdr[0] & 0xf) != 5 || hdr[9] != 17)
		return TC_ACT_OK;
	sport = (__u16)(hdr[20] << 8 | hdr[21]);
	if (sport >= 30000 && sport < 31000)
		bpf_skb_vlan_push(skb, bpf_htons(0x8100), 7);
	return TC_ACT_OK;
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
