#pragma once

#include <string_view>

// The namespace names the code refers to by name, spelled once: a misspelt namespace is a
// compile error instead of a request no device answers. Names mirror the wire string without
// "Appliance." and its dots (Appliance.Hub.Mts100.Mode -> kHubMts100Mode). Only names: which
// family claims a namespace, and what it means, stays with the family (mapping/families,
// simulator/families).
namespace meross::protocol::ns {

inline constexpr std::string_view kConfigInfo = "Appliance.Config.Info";
inline constexpr std::string_view kConfigKey = "Appliance.Config.Key";
inline constexpr std::string_view kConfigOverTemp = "Appliance.Config.OverTemp";

inline constexpr std::string_view kControlBind = "Appliance.Control.Bind";
inline constexpr std::string_view kControlConsumptionConfig = "Appliance.Control.ConsumptionConfig";
inline constexpr std::string_view kControlConsumptionH = "Appliance.Control.ConsumptionH";
inline constexpr std::string_view kControlConsumptionX = "Appliance.Control.ConsumptionX";
inline constexpr std::string_view kControlDiffuserLight = "Appliance.Control.Diffuser.Light";
inline constexpr std::string_view kControlDiffuserSensor = "Appliance.Control.Diffuser.Sensor";
inline constexpr std::string_view kControlDiffuserSpray = "Appliance.Control.Diffuser.Spray";
inline constexpr std::string_view kControlElectricity = "Appliance.Control.Electricity";
inline constexpr std::string_view kControlElectricityX = "Appliance.Control.ElectricityX";
inline constexpr std::string_view kControlFan = "Appliance.Control.Fan";
inline constexpr std::string_view kControlFilterMaintenance = "Appliance.Control.FilterMaintenance";
inline constexpr std::string_view kControlLight = "Appliance.Control.Light";
inline constexpr std::string_view kControlOverTemp = "Appliance.Control.OverTemp";
inline constexpr std::string_view kControlMp3 = "Appliance.Control.Mp3";
inline constexpr std::string_view kControlPhysicalLock = "Appliance.Control.PhysicalLock";
inline constexpr std::string_view kControlPresenceConfig = "Appliance.Control.Presence.Config";
inline constexpr std::string_view kControlSensorLatestX = "Appliance.Control.Sensor.LatestX";
inline constexpr std::string_view kControlSpray = "Appliance.Control.Spray";
inline constexpr std::string_view kControlThermostatCompressorDelay =
    "Appliance.Control.Thermostat.CompressorDelay";
inline constexpr std::string_view kControlThermostatMode = "Appliance.Control.Thermostat.Mode";
inline constexpr std::string_view kControlThermostatModeB = "Appliance.Control.Thermostat.ModeB";
inline constexpr std::string_view kControlThermostatModeC = "Appliance.Control.Thermostat.ModeC";
inline constexpr std::string_view kControlThermostatSummerMode =
    "Appliance.Control.Thermostat.SummerMode";
inline constexpr std::string_view kControlThermostatWindowOpened =
    "Appliance.Control.Thermostat.WindowOpened";
inline constexpr std::string_view kControlToggle = "Appliance.Control.Toggle";
inline constexpr std::string_view kControlToggleX = "Appliance.Control.ToggleX";

inline constexpr std::string_view kDigestHub = "Appliance.Digest.Hub";

inline constexpr std::string_view kEncryptECDHE = "Appliance.Encrypt.ECDHE";
inline constexpr std::string_view kEncryptSuite = "Appliance.Encrypt.Suite";

inline constexpr std::string_view kGarageDoorConfig = "Appliance.GarageDoor.Config";
inline constexpr std::string_view kGarageDoorMultipleConfig = "Appliance.GarageDoor.MultipleConfig";
inline constexpr std::string_view kGarageDoorState = "Appliance.GarageDoor.State";

inline constexpr std::string_view kHubBattery = "Appliance.Hub.Battery";
inline constexpr std::string_view kHubMts100Adjust = "Appliance.Hub.Mts100.Adjust";
inline constexpr std::string_view kHubMts100All = "Appliance.Hub.Mts100.All";
inline constexpr std::string_view kHubMts100Mode = "Appliance.Hub.Mts100.Mode";
inline constexpr std::string_view kHubMts100Temperature = "Appliance.Hub.Mts100.Temperature";
inline constexpr std::string_view kHubOnline = "Appliance.Hub.Online";
inline constexpr std::string_view kHubSensorAdjust = "Appliance.Hub.Sensor.Adjust";
inline constexpr std::string_view kHubSensorAll = "Appliance.Hub.Sensor.All";
inline constexpr std::string_view kHubSensorDoorWindow = "Appliance.Hub.Sensor.DoorWindow";
inline constexpr std::string_view kHubSensorLatest = "Appliance.Hub.Sensor.Latest";
inline constexpr std::string_view kHubSensorSmoke = "Appliance.Hub.Sensor.Smoke";
inline constexpr std::string_view kHubSensorTempHum = "Appliance.Hub.Sensor.TempHum";
inline constexpr std::string_view kHubSubDeviceVersion = "Appliance.Hub.SubDevice.Version";
inline constexpr std::string_view kHubToggleX = "Appliance.Hub.ToggleX";

inline constexpr std::string_view kRollerShutterConfig = "Appliance.RollerShutter.Config";
inline constexpr std::string_view kRollerShutterPosition = "Appliance.RollerShutter.Position";
inline constexpr std::string_view kRollerShutterState = "Appliance.RollerShutter.State";

inline constexpr std::string_view kSystemAbility = "Appliance.System.Ability";
inline constexpr std::string_view kSystemAll = "Appliance.System.All";
inline constexpr std::string_view kSystemClock = "Appliance.System.Clock";
inline constexpr std::string_view kSystemDNDMode = "Appliance.System.DNDMode";
inline constexpr std::string_view kSystemOnline = "Appliance.System.Online";
inline constexpr std::string_view kSystemRuntime = "Appliance.System.Runtime";
inline constexpr std::string_view kSystemTime = "Appliance.System.Time";

}  // namespace meross::protocol::ns
