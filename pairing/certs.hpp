#pragma once

// Broker certificates for Meross devices (field-notes.md §3.1): a private CA and an RSA 2048
// server key and certificate (devices fail with EC keys) naming the broker's IP or host name in
// both CN and subjectAltName; the CA's CN differs from the server's. Built with OpenSSL's API.

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "protocol/result.hpp"

namespace meross::pairing {

struct CertificateFiles {
  std::filesystem::path ca_cert;      // ca.crt
  std::filesystem::path ca_key;       // ca.key (0600)
  std::filesystem::path server_cert;  // server.crt
  std::filesystem::path server_key;   // server.key (0600)
};

struct CertificateOptions {
  std::string host;  // the broker's IP or name, exactly as given to the devices (Config.Key)
  std::filesystem::path out_dir;
  int days = 3650;
  bool overwrite = false;                // otherwise existing files are an Error
  std::vector<std::string> other_hosts;  // further names or addresses in the SAN
};

CertificateFiles certificate_paths(const std::filesystem::path& dir);

// Writes the four PEM files; the keys with mode 0600.
protocol::Result<CertificateFiles> generate_certificates(const CertificateOptions& options);

// The SHA-256 fingerprint of the PEM certificate in `path`, as "AB:CD:…"; an Error when it cannot
// be read.
protocol::Result<std::string> certificate_fingerprint(const std::filesystem::path& path);

// True when `host` is an IPv4 or IPv6 literal (its SAN is then IP:, else DNS:).
bool is_ip_address(const std::string& host);

}  // namespace meross::pairing
