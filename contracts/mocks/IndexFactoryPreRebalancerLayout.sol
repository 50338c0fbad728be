// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";

/**
 * @title IndexFactoryPreRebalancerLayout
 * @notice Test-only: the storage layout of the index factory before the rebalancer (issue 3), so
 * the upgrades plugin can prove the current factory only appends to its namespace.
 */
contract IndexFactoryPreRebalancerLayout is ProtocolUpgradeable {
    /// @custom:storage-location erc7201:ssi.storage.IndexFactory
    struct IndexFactoryStorage {
        address implementation;
        address issuer;
        address[] indexes;
        mapping(address index => bool) isIndex;
        mapping(bytes32 symbolHash => address index) indexBySymbol;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Sets up the factory like the first version would; present only so the layout is what gets judged.
    function initialize(address admin) external initializer {
        __ProtocolUpgradeable_init(admin);
    }
}
