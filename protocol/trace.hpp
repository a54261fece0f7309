#pragma once

// Reader for meross_lan device traces (meross-protocol.md §8): tab-separated `.csv` (v0 with five
// columns, v1 with six, v2 with a HEADER row) and Home Assistant diagnostics `.json.txt`.
// Pure: takes the file's name and text, returns its contents.

#include <string>
#include <string_view>
#include <vector>

#include "protocol/result.hpp"

namespace meross::protocol {

struct TraceRow {
  std::string rxtx;      // "TX", "RX" or "" (v0 files have no such column)
  std::string protocol;  // "http", "mqtt"
  std::string method;    // "GET", "GETACK", "SET", "SETACK", "PUSH", "ERROR"
  std::string ns;
  std::string payload_json;  // the full payload object, e.g. {"togglex":[...]}
};

struct Trace {
  std::string format;          // "tsv-v0", "tsv-v1", "tsv-v2", "json-diag-v1", "json-diag-v2"
  std::string uuid;            // from the file name (U<uuid>), "" if absent
  std::string key;             // from the file name (K<key>)
  std::string label;           // the rest of the file name, e.g. "mss310"
  std::string all_json;        // {"all":{...}}
  std::string ability_json;    // {"ability":{...}}
  std::vector<TraceRow> rows;  // message rows in file order; auto/LOG rows skipped
  // Last PUSH payload per namespace recorded by the diagnostics (json formats only).
  std::vector<std::pair<std::string, std::string>> namespace_pushes;
};

// `file_name` is the base name (it carries uuid and key); `text` the file contents.
Result<Trace> parse_trace(std::string_view file_name, std::string_view text);

}  // namespace meross::protocol
