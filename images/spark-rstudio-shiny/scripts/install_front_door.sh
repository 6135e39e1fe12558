#!/usr/bin/env bash
# install_front_door.sh
#   Installs nginx from Debian: the head's front door (HTTPS, one login) when the stack asks for
#   it. The package's own site and service are not used: the entrypoint writes the configuration
#   and supervisord runs nginx.
set -Eeuo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# openssl: the entrypoint checks that the given key is the certificate's.
apt_install nginx openssl
rm -f /etc/nginx/sites-enabled/* /etc/nginx/conf.d/*
install -d -o www-data -g www-data -m 0700 /var/lib/nginx
record_version nginx "$(installed_version nginx)"
apt_cleanup
