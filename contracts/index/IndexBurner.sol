// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {ICustodyVault} from "../interfaces/ICustodyVault.sol";
import {IIndexBurner} from "../interfaces/IIndexBurner.sol";
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {IIssuer} from "../interfaces/IIssuer.sol";

/**
 * @title IndexBurner
 * @notice Burns index tokens held by a protocol contract (USSI) for their basket, released to a
 * destination (the hedge vault). See {IIndexBurner}.
 * @dev Holds nothing: the index units are burned where they are, the basket moves custody -> `to`.
 */
contract IndexBurner is IIndexBurner, ProtocolUpgradeable, ReentrancyGuardTransient {
    /// @inheritdoc IIndexBurner
    bytes32 public constant BURNER_ROLE = keccak256("BURNER_ROLE");

    /// @custom:storage-location erc7201:ssi.storage.IndexBurner
    struct IndexBurnerStorage {
        address issuer;
        address custody;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.IndexBurner")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant INDEX_BURNER_STORAGE_LOCATION = 0x314c1998b31742f4a1c6ee31c1df0cdd540449abf8bb76134ae9c2c74cf6f500;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IIndexBurner
    function initialize(address admin, address issuer_, address custody_) external initializer {
        if (issuer_ == address(0) || custody_ == address(0)) revert ZeroAddress();
        __ProtocolUpgradeable_init(admin);
        IndexBurnerStorage storage $ = _getIndexBurnerStorage();
        $.issuer = issuer_;
        $.custody = custody_;
    }

    /// @inheritdoc IIndexBurner
    function burnFor(address index, uint256 indexAmount, address to)
        external
        onlyRole(BURNER_ROLE)
        whenNotPaused
        nonReentrant
    {
        if (to == address(0)) revert ZeroAddress();
        if (indexAmount == 0) revert ZeroBurn();
        IndexBurnerStorage storage $ = _getIndexBurnerStorage();
        IIssuer issuer_ = IIssuer($.issuer);
        if (issuer_.indexConfig(index).feeVault == address(0)) revert UnknownIndex(index);
        if (issuer_.isRebalancing(index)) revert IndexRebalancing(index);
        // The basket before the burn: the same block's fee factor, and a burn leaves the per-unit basket as it is.
        (address[] memory assets, uint256[] memory amounts) = issuer_.basketFor(index, indexAmount, IIssuer.Side.Redeem);
        emit BurnedFor(index, msg.sender, to, indexAmount);
        IIndexToken(index).burn(msg.sender, indexAmount);
        ICustodyVault($.custody).release(index, to, assets, amounts);
    }

    /// @inheritdoc IIndexBurner
    function issuer() external view returns (address) {
        return _getIndexBurnerStorage().issuer;
    }

    /// @inheritdoc IIndexBurner
    function custody() external view returns (address) {
        return _getIndexBurnerStorage().custody;
    }

    function _getIndexBurnerStorage() private pure returns (IndexBurnerStorage storage $) {
        assembly {
            $.slot := INDEX_BURNER_STORAGE_LOCATION
        }
    }
}
