// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {AssetLocking} from "../staking/AssetLocking.sol";
import {StakeFactory} from "../staking/StakeFactory.sol";
import {StakeToken} from "../staking/StakeToken.sol";
import {RewardsDistributor} from "../rewards/RewardsDistributor.sol";
import {ReserveRegistry} from "../reserve/ReserveRegistry.sol";

// Test-only second versions: the same storage plus a `version()` view, so upgrade tests can prove an
// upgrade went through and kept every value. They inherit V1's `initialize` and need no reinitializer,
// hence the missing-initializer allowance for the upgrades plugin.

/// @notice Test-only V2 of StakeToken.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
contract StakeTokenV2Mock is StakeToken {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}

/// @notice Test-only V2 of StakeFactory.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
contract StakeFactoryV2Mock is StakeFactory {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}

/// @notice Test-only V2 of AssetLocking.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
contract AssetLockingV2Mock is AssetLocking {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}

/// @notice Test-only V2 of RewardsDistributor.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
contract RewardsDistributorV2Mock is RewardsDistributor {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}

/// @notice Test-only V2 of ReserveRegistry.
/// @custom:oz-upgrades-unsafe-allow missing-initializer
contract ReserveRegistryV2Mock is ReserveRegistry {
    /// @notice Always 2.
    function version() external pure returns (uint256) {
        return 2;
    }
}
