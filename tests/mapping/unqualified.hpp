#pragma once

// The names the family tests of the mapping write on most lines, unqualified: the mapping's
// types and the support helpers a test of one family calls over and over. Test files only.

#include "mapping/support.hpp"

using namespace meross;
using mapping::Component;
using mapping::DeviceState;
using protocol::DeviceProfile;
using test::entity;
using test::has;
using test::keys_of;
using test::option;
using test::recorded;
using test::sent;
using test::state_of;
using test::states;
