#include "protocol/trace.hpp"

#include <tuple>
#include <utility>

#include <rapidjson/document.h>

#include "protocol/json.hpp"

namespace meross::protocol {
namespace {

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (true) {
    const auto end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

std::string_view strip_cr(std::string_view line) {
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n'))
    line.remove_suffix(1);
  return line;
}

bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

void read_file_name(Trace& trace, std::string_view name) {
  for (std::string_view ext : {".json.txt", ".json", ".csv", ".txt"}) {
    if (ends_with(name, ext)) {
      name.remove_suffix(ext.size());
      break;
    }
  }
  // U<uuid>-K<key>-<label...>; the label itself may contain dashes.
  std::string label;
  for (std::string_view token : split(name, '-')) {
    if (label.empty() && trace.uuid.empty() && token.size() == 33 && token[0] == 'U') {
      trace.uuid = token.substr(1);
    } else if (label.empty() && trace.key.empty() && !token.empty() && token[0] == 'K') {
      trace.key = token.substr(1);
    } else {
      if (!label.empty()) label += '-';
      label += token;
    }
  }
  trace.label = std::move(label);
}

// Wraps an inner All/Ability object as a full payload ({"all":inner}).
std::string wrap(std::string_view key, std::string_view inner_json) {
  return "{\"" + std::string(key) + "\":" + std::string(inner_json) + "}";
}

// The `all` and `ability` of a meross_lan config object (its `payload`), as System.All and
// System.Ability payloads; false when either is missing.
bool read_config(const JsonValue* config, Trace& trace) {
  const JsonValue* payload = config ? find_member(*config, "payload") : nullptr;
  const JsonValue* all = payload ? find_member(*payload, "all") : nullptr;
  const JsonValue* ability = payload ? find_member(*payload, "ability") : nullptr;
  if (!all || !ability) return false;
  trace.all_json = wrap("all", to_json(*all));
  trace.ability_json = wrap("ability", to_json(*ability));
  return true;
}

bool is_message_row(std::string_view protocol, std::string_view method) {
  return protocol != "auto" && method != "LOG" && method != "HEADER";
}

Result<Trace> parse_tsv(Trace trace, std::string_view text) {
  std::vector<std::vector<std::string_view>> lines;
  for (std::string_view line : split(text, '\n')) {
    line = strip_cr(line);
    if (line.empty()) continue;
    auto fields = split(line, '\t');
    if (fields.size() < 5) return Error{"trace", "line with fewer than 5 tab-separated fields"};
    lines.push_back(std::move(fields));
  }
  if (lines.empty()) return Error{"trace", "empty trace"};

  // Normalize every row to 6 columns: time, rxtx, protocol, method, namespace, data.
  const auto normalize = [](std::vector<std::string_view> fields, bool has_rxtx) {
    if (!has_rxtx) fields.insert(fields.begin() + 1, std::string_view{});
    if (fields.size() < 6) fields.resize(6);  // a short row: the missing columns are empty
    // The data column is the rest of the line: re-join stray tabs.
    std::string data(fields[5]);
    for (std::size_t i = 6; i < fields.size(); ++i)
      data.append("\t").append(fields[i]);
    return std::make_tuple(std::string(fields[1]), std::string(fields[2]), std::string(fields[3]),
                           std::string(fields[4]), std::move(data));
  };

  std::size_t first_row = 0;
  bool has_rxtx = true;
  if (lines[0].size() >= 3 && lines[0][2] == "protocol") {
    trace.format = "tsv-v2";
    if (lines.size() < 2) return Error{"trace", "v2 trace without a HEADER row"};
    auto [rxtx, protocol, method, ns, data] = normalize(lines[1], true);
    rapidjson::Document header;
    header.Parse(data.data(), data.size());
    const JsonValue* config = header.HasParseError() ? nullptr : find_member(header, "config");
    if (!read_config(config, trace)) {
      return Error{"trace", "v2 HEADER row without config.payload all/ability"};
    }
    first_row = 2;
  } else {
    has_rxtx = lines[0].size() != 5;
    trace.format = has_rxtx ? "tsv-v1" : "tsv-v0";
    if (lines.size() < 2) return Error{"trace", "trace without its All and Ability rows"};
    auto all = normalize(lines[0], has_rxtx);
    auto ability = normalize(lines[1], has_rxtx);
    // Tuple fields: rxtx, protocol, method, namespace, data.
    if (std::get<3>(all) != "Appliance.System.All" ||
        std::get<3>(ability) != "Appliance.System.Ability") {
      return Error{"trace", "first two rows are not System.All and System.Ability"};
    }
    trace.all_json = wrap("all", std::get<4>(all));
    trace.ability_json = wrap("ability", std::get<4>(ability));
    first_row = 2;
  }

  for (std::size_t i = first_row; i < lines.size(); ++i) {
    auto [rxtx, protocol, method, ns, data] = normalize(lines[i], has_rxtx);
    if (!is_message_row(protocol, method)) continue;
    trace.rows.push_back(TraceRow{std::move(rxtx), std::move(protocol), std::move(method),
                                  std::move(ns), std::move(data)});
  }
  return trace;
}

Result<Trace> parse_diagnostics(Trace trace, std::string_view text) {
  rapidjson::Document doc;
  doc.Parse(text.data(), text.size());
  if (doc.HasParseError()) return Error{"trace", "diagnostics file is not valid JSON"};
  const JsonValue* data = find_member(doc, "data");
  if (!data || !data->IsObject()) return Error{"data", "expected an object"};

  const bool v2 = int_member(*data, "version").value_or(1) >= 2;
  trace.format = v2 ? "json-diag-v2" : "json-diag-v1";
  const JsonValue* config = v2 ? find_member(*data, "config") : data;
  if (!read_config(config, trace)) return Error{"data.payload", "expected all and ability"};

  const JsonValue* state = v2 ? find_member(*data, "state") : find_member(*data, "device");
  const JsonValue* pushes = state ? find_member(*state, "namespace_pushes") : nullptr;
  if (pushes && pushes->IsObject()) {
    for (const auto& member : pushes->GetObject()) {
      trace.namespace_pushes.emplace_back(member.name.GetString(), to_json(member.value));
    }
  }

  const JsonValue* rows = find_member(*data, "trace");
  if (rows && rows->IsArray()) {
    // Row 0 holds the column names.
    for (rapidjson::SizeType i = 1; i < rows->Size(); ++i) {
      const JsonValue& row = (*rows)[i];
      if (!row.IsArray() || row.Size() < 6) continue;
      const auto text_of = [&](rapidjson::SizeType c) {
        return row[c].IsString() ? std::string(row[c].GetString(), row[c].GetStringLength())
                                 : std::string();
      };
      std::string protocol = text_of(2), method = text_of(3);
      if (!is_message_row(protocol, method) || !row[5].IsObject()) continue;
      trace.rows.push_back(TraceRow{text_of(1), std::move(protocol), std::move(method), text_of(4),
                                    to_json(row[5])});
    }
  }
  return trace;
}

}  // namespace

Result<Trace> parse_trace(std::string_view file_name, std::string_view text) {
  if (!json_nesting_at_most(text)) return Error{"trace", "JSON nested too deeply"};
  Trace trace;
  read_file_name(trace, file_name);
  const bool json = ends_with(file_name, ".json.txt") || ends_with(file_name, ".json") ||
                    (!text.empty() && text.front() == '{');
  return json ? parse_diagnostics(std::move(trace), text) : parse_tsv(std::move(trace), text);
}

}  // namespace meross::protocol
