#include "pairing/certs.hpp"
#include "pairing/private_file.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <cstdio>
#include <functional>
#include <memory>
#include <string>
#include <system_error>

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

namespace meross::pairing {
namespace {

using protocol::Error;
using Pkey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Cert = std::unique_ptr<X509, decltype(&X509_free)>;

Pkey rsa_key() {
  return Pkey(EVP_RSA_gen(2048), &EVP_PKEY_free);
}

bool add_extension(X509* cert, X509* issuer, int nid, const std::string& value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value.c_str());
  if (!ext) return false;
  const bool ok = X509_add_ext(cert, ext, -1) == 1;
  X509_EXTENSION_free(ext);
  return ok;
}

bool random_serial(X509* cert) {
  std::unique_ptr<BIGNUM, decltype(&BN_free)> bn(BN_new(), &BN_free);
  if (!bn || BN_rand(bn.get(), 128, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) != 1) return false;
  return BN_to_ASN1_INTEGER(bn.get(), X509_get_serialNumber(cert)) != nullptr;
}

Cert make_cert(const std::string& common_name, EVP_PKEY* subject_key, int days) {
  Cert cert(X509_new(), &X509_free);
  if (!cert || X509_set_version(cert.get(), 2) != 1 || !random_serial(cert.get()) ||
      !X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600) ||
      !X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(days) * 86400) ||
      X509_set_pubkey(cert.get(), subject_key) != 1) {
    return Cert(nullptr, &X509_free);
  }
  X509_NAME* name = X509_get_subject_name(cert.get());
  if (X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                                 reinterpret_cast<const unsigned char*>("meross-bridge"), -1, -1,
                                 0) != 1 ||
      X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8,
                                 reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                                 -1, 0) != 1) {
    return Cert(nullptr, &X509_free);
  }
  return cert;
}

// The certificate's names: the main host first, then the others.
std::vector<const std::string*> host_list(const CertificateOptions& options) {
  std::vector<const std::string*> names{&options.host};
  for (const auto& other : options.other_hosts)
    names.push_back(&other);
  return names;
}

}  // namespace

protocol::Result<std::string> certificate_fingerprint(const std::filesystem::path& path) {
  std::unique_ptr<FILE, decltype(&std::fclose)> file(std::fopen(path.c_str(), "r"), &std::fclose);
  if (!file) return Error{"", "cannot read " + path.string()};
  Cert cert(PEM_read_X509(file.get(), nullptr, nullptr, nullptr), &X509_free);
  if (!cert) return Error{"", path.string() + " is not a PEM certificate"};
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(cert.get(), EVP_sha256(), digest, &length) != 1) {
    return Error{"", "OpenSSL could not hash " + path.string()};
  }
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned int i = 0; i < length; ++i) {
    if (i > 0) out += ':';
    out += kHex[digest[i] >> 4];
    out += kHex[digest[i] & 0xf];
  }
  return out;
}

bool is_ip_address(const std::string& host) {
  unsigned char buffer[sizeof(in6_addr)];
  return ::inet_pton(AF_INET, host.c_str(), buffer) == 1 ||
         ::inet_pton(AF_INET6, host.c_str(), buffer) == 1;
}

CertificateFiles certificate_paths(const std::filesystem::path& dir) {
  return {dir / "ca.crt", dir / "ca.key", dir / "server.crt", dir / "server.key"};
}

protocol::Result<CertificateFiles> generate_certificates(const CertificateOptions& options) {
  const std::string& host = options.host;
  std::string san;
  for (const auto* name : host_list(options)) {
    if (name->empty() || name->size() > 63) {
      return Error{"host", "expected the broker's IP address or host name (at most 63 characters)"};
    }
    for (const char c : *name) {
      if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':')) {
        return Error{"host", "expected the broker's IP address or host name, as given to devices"};
      }
    }
    const std::string entry = (is_ip_address(*name) ? "IP:" : "DNS:") + *name;
    if (("," + san + ",").find("," + entry + ",") != std::string::npos) continue;
    san += (san.empty() ? "" : ",") + entry;
  }
  if (options.days < 1 || options.days > 36500) return Error{"days", "expected 1 to 36500"};
  std::error_code ec;
  std::filesystem::create_directories(options.out_dir, ec);
  if (ec) return Error{"", "cannot create " + options.out_dir.string() + ": " + ec.message()};

  const std::string ca_name = "meross-bridge CA for " + host;
  Pkey ca_key = rsa_key();
  Pkey server_key = rsa_key();
  if (!ca_key || !server_key) return Error{"", "OpenSSL could not generate RSA keys"};

  Cert ca = make_cert(ca_name, ca_key.get(), options.days);
  if (!ca || X509_set_issuer_name(ca.get(), X509_get_subject_name(ca.get())) != 1 ||
      !add_extension(ca.get(), ca.get(), NID_basic_constraints, "critical,CA:TRUE") ||
      !add_extension(ca.get(), ca.get(), NID_key_usage, "critical,keyCertSign,cRLSign") ||
      !add_extension(ca.get(), ca.get(), NID_subject_key_identifier, "hash") ||
      X509_sign(ca.get(), ca_key.get(), EVP_sha256()) == 0) {
    return Error{"", "OpenSSL could not build the CA certificate"};
  }

  Cert server = make_cert(host, server_key.get(), options.days);
  if (!server || X509_set_issuer_name(server.get(), X509_get_subject_name(ca.get())) != 1 ||
      !add_extension(server.get(), ca.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(server.get(), ca.get(), NID_key_usage,
                     "critical,digitalSignature,keyEncipherment") ||
      !add_extension(server.get(), ca.get(), NID_ext_key_usage, "serverAuth") ||
      !add_extension(server.get(), ca.get(), NID_subject_alt_name, san) ||
      !add_extension(server.get(), ca.get(), NID_subject_key_identifier, "hash") ||
      !add_extension(server.get(), ca.get(), NID_authority_key_identifier, "keyid:always") ||
      X509_sign(server.get(), ca_key.get(), EVP_sha256()) == 0) {
    return Error{"", "OpenSSL could not build the server certificate"};
  }

  const CertificateFiles files = certificate_paths(options.out_dir);
  const auto write_key = [&](const std::filesystem::path& path, EVP_PKEY* key) {
    return write_new_file(path, 0600, options.overwrite, [key](FILE* f) {
      return PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr) == 1;
    });
  };
  const auto write_cert = [&](const std::filesystem::path& path, X509* cert) {
    return write_new_file(path, 0644, options.overwrite,
                          [cert](FILE* f) { return PEM_write_X509(f, cert) == 1; });
  };
  // Check first so that a refusal leaves no half-written set behind.
  if (!options.overwrite) {
    for (const auto& path : {files.ca_cert, files.ca_key, files.server_cert, files.server_key}) {
      if (std::filesystem::exists(path)) {
        return Error{"", path.string() + " already exists (pass --force to replace it)"};
      }
    }
  }
  if (auto e = write_key(files.ca_key, ca_key.get())) return *e;
  if (auto e = write_cert(files.ca_cert, ca.get())) return *e;
  if (auto e = write_key(files.server_key, server_key.get())) return *e;
  if (auto e = write_cert(files.server_cert, server.get())) return *e;
  return files;
}

}  // namespace meross::pairing
