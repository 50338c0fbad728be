// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {USSI} from "../ussi/USSI.sol";

/**
 * @title USSIV2
 * @notice Test-only next version of USSI: same storage, one new view, to prove an upgrade keeps
 * balances, requests, escrow, NAV, nonces and settings.
 * @dev Proxies reach V2 already initialized by V1's `initialize`, so the plugin's "missing
 * initializer" rule does not apply (storage layout is still checked).
 * @custom:oz-upgrades-unsafe-allow missing-initializer
 */
contract USSIV2 is USSI {
    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice The implementation version.
    function version() external pure returns (uint256) {
        return 2;
    }
}
