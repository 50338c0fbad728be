// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {IAttestedIssuer} from "../interfaces/IAttestedIssuer.sol";
import {ICustodyRegistry} from "../interfaces/ICustodyRegistry.sol";

/**
 * @title AttestedIssuerMintOnlyLayout
 * @notice Test-only: the storage layout of AttestedIssuer before attested redeems (issue 18, mint side only), so
 * the upgrades plugin can prove the current contract only appends to its namespace.
 */
contract AttestedIssuerMintOnlyLayout is ProtocolUpgradeable {
    /// @custom:storage-location erc7201:ssi.storage.AttestedIssuer
    struct AttestedIssuerStorage {
        ICustodyRegistry registry;
        uint256 requestTimeout;
        uint256 requestCount;
        mapping(address index => bool) indexes;
        mapping(address token => bool) cashTokens;
        mapping(bytes32 requestId => IAttestedIssuer.MintRequest) mints;
        mapping(bytes32 requestId => mapping(address asset => uint256 amount)) legs;
        mapping(bytes32 chain => mapping(bytes32 txId => bool)) usedTxIds;
        mapping(address index => mapping(address asset => uint256 amount)) custody;
    }

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Sets up roles like the first version would; present only so the layout is what gets judged.
    function initialize(address admin) external initializer {
        __ProtocolUpgradeable_init(admin);
    }
}
