#!/bin/sh
# Debian tools the evidence tests use to build disk images (they skip, saying
# which tool is missing, without them): mkfs.fat and mtools for FAT, mke2fs
# for ext2/3/4, mkntfs and ntfscp for NTFS, sfdisk for partition tables, 7z
# for 7-Zip archives.
set -eu
PATH="$PATH:/usr/sbin:/sbin"
missing=""
for tool in mkfs.fat mcopy mke2fs mkntfs ntfscp sfdisk 7z; do
	command -v "$tool" >/dev/null 2>&1 || missing="$missing $tool"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y --no-install-recommends dosfstools mtools e2fsprogs ntfs-3g fdisk p7zip-full >/dev/null
