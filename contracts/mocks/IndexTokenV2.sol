// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IndexToken} from "../index/IndexToken.sol";

/**
 * @title IndexTokenV2
 * @notice Test-only next version of the index token: adds a field to the end of its namespace
 * (through a second namespace, as a real upgrade would) and a reinitializer, to prove upgrades
 * through the factory keep balances and the tokenset.
 * @dev Proxies reach V2 already initialized by V1's `initialize`; V2 only adds a reinitializer,
 * so the plugin's "missing initializer" rule does not apply (storage layout is still checked).
 * @custom:oz-upgrades-unsafe-allow missing-initializer
 */
contract IndexTokenV2 is IndexToken {
    /// @custom:storage-location erc7201:ssi.storage.IndexTokenV2
    struct IndexTokenV2Storage {
        string note;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.IndexTokenV2")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant INDEX_TOKEN_V2_STORAGE_LOCATION = 0x935f5023684c098087f711e724093e7aba5b28e19b8eb063c12e523dac159600;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @notice Second-version initializer: records a note.
    function initializeV2(string calldata note_) external reinitializer(2) {
        _getIndexTokenV2Storage().note = note_;
    }

    /// @notice The note recorded by `initializeV2`.
    function note() external view returns (string memory) {
        return _getIndexTokenV2Storage().note;
    }

    /// @notice The implementation version.
    function version() external pure returns (uint256) {
        return 2;
    }

    function _getIndexTokenV2Storage() private pure returns (IndexTokenV2Storage storage $) {
        assembly {
            $.slot := INDEX_TOKEN_V2_STORAGE_LOCATION
        }
    }
}
