// SPDX-License-Identifier: MIT
pragma solidity 0.8.30;

import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {EIP712Upgradeable} from "@openzeppelin/contracts-upgradeable/utils/cryptography/EIP712Upgradeable.sol";
import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Math} from "@openzeppelin/contracts/utils/math/Math.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {ProtocolUpgradeable} from "../access/ProtocolUpgradeable.sol";
import {MakerSignature} from "../libraries/MakerSignature.sol";
import {IAttestedIssuer} from "../interfaces/IAttestedIssuer.sol";
import {IAttestedRebalancer} from "../interfaces/IAttestedRebalancer.sol";
import {ICustodyRegistry} from "../interfaces/ICustodyRegistry.sol";
import {ICustodyVault} from "../interfaces/ICustodyVault.sol";
import {IIndexToken} from "../interfaces/IIndexToken.sol";
import {IRebalancer} from "../interfaces/IRebalancer.sol";
import {RebalanceMath} from "./libraries/RebalanceMath.sol";
import {RebalanceOrderHash} from "./libraries/RebalanceOrderHash.sol";
import {UnorderedNonces} from "../utils/UnorderedNonces.sol";

/**
 * @title AttestedRebalancer
 * @notice Rebalances indexes whose basket holds custodian assets against custodian-attested legs. See
 * {IAttestedRebalancer}.
 * @dev Holds only the maker's escrowed on-chain buys of accepted, unfinished rebalances. Reads its price
 * protection and roles from the Rebalancer, its registry, vault and custody book from AttestedIssuer, so
 * each of those is configured in one place.
 */
contract AttestedRebalancer is
    IAttestedRebalancer,
    UnorderedNonces,
    ProtocolUpgradeable,
    EIP712Upgradeable,
    ReentrancyGuardTransient
{
    using SafeERC20 for IERC20;

    /// @dev Longest a rebalance may wait for its legs (as AttestedIssuer's requests).
    uint256 public constant MAX_REBALANCE_DURATION = 7 days;
    uint256 private constant BPS = 10_000;
    string private constant DOMAIN_NAME = "SSI Rebalancer";
    string private constant DOMAIN_VERSION = "1";

    /// @custom:storage-location erc7201:ssi.storage.AttestedRebalancer
    struct AttestedRebalancerStorage {
        IRebalancer rebalancer;
        IAttestedIssuer attestedIssuer;
        uint256 count;
        mapping(bytes32 rebalanceId => Rebalance) rebalances;
        mapping(address index => bytes32 rebalanceId) pending;
        mapping(bytes32 rebalanceId => mapping(address asset => bytes32 destination)) destinations;
        mapping(bytes32 rebalanceId => mapping(address asset => bool)) attested;
        mapping(address account => mapping(uint256 wordPos => uint256 bitmap)) nonceBitmaps;
    }

    // keccak256(abi.encode(uint256(keccak256("ssi.storage.AttestedRebalancer")) - 1)) & ~bytes32(uint256(0xff))
    bytes32 private constant ATTESTED_REBALANCER_STORAGE_LOCATION =
        0xd6cf842b1fc4a466878e075a47a90810860a9df8656e8311c62d5c8e5a0b4100;

    /// @custom:oz-upgrades-unsafe-allow constructor
    constructor() {
        _disableInitializers();
    }

    /// @inheritdoc IAttestedRebalancer
    function initialize(address admin, address rebalancer_, address attestedIssuer_) external initializer {
        if (rebalancer_ == address(0) || attestedIssuer_ == address(0)) revert ZeroAddress();
        __ProtocolUpgradeable_init(admin);
        __EIP712_init(DOMAIN_NAME, DOMAIN_VERSION);
        AttestedRebalancerStorage storage $ = _getAttestedRebalancerStorage();
        $.rebalancer = IRebalancer(rebalancer_);
        $.attestedIssuer = IAttestedIssuer(attestedIssuer_);
    }

    /// @inheritdoc IAttestedRebalancer
    function open(
        IRebalancer.RebalanceOrder calldata order,
        bytes calldata makerSignature,
        IRebalancer.PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) external onlyRole(OPERATOR_ROLE) whenNotPaused nonReentrant returns (bytes32 rebalanceId) {
        AttestedRebalancerStorage storage $ = _getAttestedRebalancerStorage();
        bytes32 pending = $.pending[order.index];
        if (pending != bytes32(0)) revert RebalancePending(order.index, pending);
        if (!$.attestedIssuer.isIndexAllowed(order.index)) revert UnknownIndex(order.index);
        if (block.timestamp > order.deadline) revert OrderExpired(order.deadline, block.timestamp);
        if (order.deadline > block.timestamp + MAX_REBALANCE_DURATION) {
            revert DeadlineTooFar(order.deadline, block.timestamp + MAX_REBALANCE_DURATION);
        }
        (uint256 soldValue, uint256 boughtValue) = _checkOrder($, order, prices);
        bytes32 orderHash = _checkSignatures($, order, makerSignature, prices, priceSignature);
        rebalanceId = _store($, order, orderHash, soldValue, boughtValue);
    }

    /// @inheritdoc IAttestedRebalancer
    function accept(bytes32 rebalanceId, IRebalancer.RebalanceOrder calldata order, bytes32[] calldata destinations)
        external
        whenNotPaused
        nonReentrant
    {
        AttestedRebalancerStorage storage $ = _getAttestedRebalancerStorage();
        Rebalance storage r = _pendingRebalance($, rebalanceId, order);
        if (msg.sender != r.maker) revert NotRebalanceMaker(rebalanceId, r.maker);
        if (r.accepted) revert RebalanceAlreadyAccepted(rebalanceId);
        if (destinations.length != order.sellAssets.length) {
            revert DestinationCountMismatch(destinations.length, order.sellAssets.length);
        }
        ICustodyRegistry registry = _registry($);
        for (uint256 i; i < destinations.length; ++i) {
            if (!registry.isCustodian(order.sellAssets[i])) continue;
            if (destinations[i] == bytes32(0)) revert ZeroDestination(order.sellAssets[i]);
            $.destinations[rebalanceId][order.sellAssets[i]] = destinations[i];
        }
        r.accepted = true;
        emit RebalanceAccepted(rebalanceId, msg.sender, order.sellAssets, destinations);
        for (uint256 i; i < order.buyAssets.length; ++i) {
            if (registry.isCustodian(order.buyAssets[i])) continue;
            IERC20(order.buyAssets[i]).safeTransferFrom(msg.sender, address(this), order.buyAmounts[i]);
        }
        if (r.buysAttested == r.buysDue && r.sellsDue == 0) _complete($, rebalanceId, r, order, RebalanceStatus.Completed);
    }

    /// @inheritdoc IAttestedRebalancer
    function attest(
        bytes32 rebalanceId,
        IRebalancer.RebalanceOrder calldata order,
        IAttestedIssuer.CustodyLeg[] calldata legs,
        bytes[] calldata signatures
    ) external whenNotPaused nonReentrant returns (bool completed) {
        if (legs.length == 0 || legs.length != signatures.length) revert LegCountMismatch(legs.length, signatures.length);
        AttestedRebalancerStorage storage $ = _getAttestedRebalancerStorage();
        Rebalance storage r = $.rebalances[rebalanceId];
        bool settled = r.status == RebalanceStatus.Settled;
        if (settled) _checkOrderHash(rebalanceId, r, order);
        else _pendingRebalance($, rebalanceId, order);
        for (uint256 i; i < legs.length; ++i) {
            _acceptLeg($, rebalanceId, r, order, legs[i], signatures[i]);
        }
        if (settled || r.buysAttested != r.buysDue || r.sellsAttested != r.sellsDue || !r.accepted) return false;
        _complete($, rebalanceId, r, order, RebalanceStatus.Completed);
        return true;
    }

    /// @inheritdoc IAttestedRebalancer
    function cancel(bytes32 rebalanceId, IRebalancer.RebalanceOrder calldata order) external nonReentrant {
        AttestedRebalancerStorage storage $ = _getAttestedRebalancerStorage();
        Rebalance storage r = $.rebalances[rebalanceId];
        if (r.status != RebalanceStatus.Pending) revert RebalanceNotPending(rebalanceId, r.status);
        if (block.timestamp <= r.deadline) revert RebalanceNotExpired(rebalanceId, r.deadline);
        _checkOrderHash(rebalanceId, r, order);
        if (r.sellsAttested != 0) {
            // Units already left custody for the maker, who delivered every buy first: cancelling would leave
            // custody short of the basket, so the rebalance settles and the custodian owes the maker the rest.
            emit RebalanceSettledPastDeadline(rebalanceId);
            _complete($, rebalanceId, r, order, RebalanceStatus.Settled);
            return;
        }
        r.status = RebalanceStatus.Cancelled;
        delete $.pending[r.index];
        emit RebalanceCancelled(rebalanceId);
        _setRebalancing(r.index, false);
        if (!r.accepted) return;
        ICustodyRegistry registry = _registry($);
        for (uint256 i; i < order.buyAssets.length; ++i) {
            if (registry.isCustodian(order.buyAssets[i])) continue;
            IERC20(order.buyAssets[i]).safeTransfer(r.maker, order.buyAmounts[i]);
        }
    }

    /// @inheritdoc IAttestedRebalancer
    function getRebalance(bytes32 rebalanceId) external view returns (Rebalance memory) {
        return _getAttestedRebalancerStorage().rebalances[rebalanceId];
    }

    /// @inheritdoc IAttestedRebalancer
    function pendingRebalance(address index) external view returns (bytes32) {
        return _getAttestedRebalancerStorage().pending[index];
    }

    /// @inheritdoc IAttestedRebalancer
    function destination(bytes32 rebalanceId, address asset) external view returns (bytes32) {
        return _getAttestedRebalancerStorage().destinations[rebalanceId][asset];
    }

    /// @inheritdoc IAttestedRebalancer
    function isLegAttested(bytes32 rebalanceId, address asset) external view returns (bool) {
        return _getAttestedRebalancerStorage().attested[rebalanceId][asset];
    }

    /// @inheritdoc IAttestedRebalancer
    function hashRebalanceOrder(IRebalancer.RebalanceOrder calldata order) public view returns (bytes32) {
        return _hashTypedDataV4(RebalanceOrderHash.hash(order));
    }

    /// @inheritdoc IAttestedRebalancer
    function hashPriceAttestation(IRebalancer.PriceAttestation calldata prices) public view returns (bytes32) {
        return _hashTypedDataV4(RebalanceOrderHash.hash(prices));
    }

    /// @inheritdoc IAttestedRebalancer
    function rebalancer() external view returns (address) {
        return address(_getAttestedRebalancerStorage().rebalancer);
    }

    /// @inheritdoc IAttestedRebalancer
    function attestedIssuer() external view returns (address) {
        return address(_getAttestedRebalancerStorage().attestedIssuer);
    }

    // ---------------------------------------------------------------- internals

    /**
     * @dev The order's fields, allowed buys, prices, basket (sells within it, via the Rebalancer's tokenset
     * formula) and the Rebalancer's value tolerance. Returns the values compared.
     */
    function _checkOrder(
        AttestedRebalancerStorage storage $,
        IRebalancer.RebalanceOrder calldata order,
        IRebalancer.PriceAttestation calldata prices
    ) private view returns (uint256 soldValue, uint256 boughtValue) {
        if (block.timestamp > prices.validUntil) revert PricesExpired(prices.validUntil, block.timestamp);
        if (prices.index != order.index) revert PricesForOtherIndex(order.index, prices.index);
        RebalanceMath.checkLegs(prices.assets, prices.prices);
        if (order.sellAssets.length == 0 && order.buyAssets.length == 0) revert EmptyOrder();
        RebalanceMath.checkLegs(order.sellAssets, order.sellAmounts);
        RebalanceMath.checkLegs(order.buyAssets, order.buyAmounts);
        IRebalancer rebalancer_ = $.rebalancer;
        for (uint256 i; i < order.buyAssets.length; ++i) {
            if (!rebalancer_.isBuyAssetAllowed(order.buyAssets[i])) revert BuyAssetNotAllowed(order.buyAssets[i]);
        }
        IIndexToken token = IIndexToken(order.index);
        uint256 supply = token.totalSupply();
        if (supply == 0) revert IndexHasNoSupply(order.index);
        (address[] memory assets, uint256[] memory basketAmounts) = token.basket();
        RebalanceMath.newTokenset(assets, basketAmounts, supply, order);
        ICustodyRegistry registry = _registry($);
        soldValue = _value(registry, order.sellAssets, order.sellAmounts, prices);
        boughtValue = _value(registry, order.buyAssets, order.buyAmounts, prices);
        uint256 tolerance = rebalancer_.toleranceBps();
        uint256 gap = boughtValue > soldValue ? boughtValue - soldValue : soldValue - boughtValue;
        if (gap * BPS > soldValue * tolerance) revert ValueOutOfTolerance(soldValue, boughtValue, tolerance);
    }

    /// @dev Records a checked order as a pending rebalance of its index.
    function _store(
        AttestedRebalancerStorage storage $,
        IRebalancer.RebalanceOrder calldata order,
        bytes32 orderHash,
        uint256 soldValue,
        uint256 boughtValue
    ) private returns (bytes32 rebalanceId) {
        (uint8 buysDue, uint8 sellsDue) = _custodianLegs($, order);
        rebalanceId = keccak256(abi.encode(block.chainid, address(this), ++$.count));
        $.pending[order.index] = rebalanceId;
        // Cannot truncate: the deadline is at most 7 days ahead.
        uint64 deadline = uint64(order.deadline);
        $.rebalances[rebalanceId] = Rebalance({
            index: order.index,
            maker: order.maker,
            orderHash: orderHash,
            deadline: deadline,
            buysDue: buysDue,
            buysAttested: 0,
            sellsDue: sellsDue,
            sellsAttested: 0,
            accepted: false,
            status: RebalanceStatus.Pending
        });
        emit RebalanceOpened(
            rebalanceId,
            order.index,
            order.maker,
            orderHash,
            deadline,
            order.sellAssets,
            order.sellAmounts,
            order.buyAssets,
            order.buyAmounts,
            soldValue,
            boughtValue
        );
        // The basket stops shrinking by the management fee until the rebalance ends, as in a Rebalancer window, so a
        // sell fixed now (up to a whole basket amount) still fits the basket at completion.
        _setRebalancing(order.index, true);
    }

    /// @dev Freezes (while a rebalance is pending) or releases the index's basket: one call site for the three uses.
    function _setRebalancing(address index, bool rebalancing) private {
        IIndexToken(index).setRebalancing(rebalancing);
    }

    /// @dev How many buys and sells are custodian legs; at least one must be, or the Rebalancer settles the order.
    function _custodianLegs(AttestedRebalancerStorage storage $, IRebalancer.RebalanceOrder calldata order)
        private
        view
        returns (uint8 buys, uint8 sells)
    {
        ICustodyRegistry registry = _registry($);
        // Cannot truncate: a tokenset holds at most 32 assets, so an order beyond 255 legs cannot settle anyway.
        for (uint256 i; i < order.buyAssets.length; ++i) {
            if (registry.isCustodian(order.buyAssets[i])) ++buys;
        }
        for (uint256 i; i < order.sellAssets.length; ++i) {
            if (!registry.isCustodian(order.sellAssets[i])) continue;
            // Legs are keyed by asset, so one custodian asset cannot be both delivered and released.
            if (_amountOf(order.buyAssets, order.buyAmounts, order.sellAssets[i]) != 0) {
                revert AssetBoughtAndSold(order.sellAssets[i]);
            }
            ++sells;
        }
        if (buys == 0 && sells == 0) revert NoCustodianLeg();
    }

    /// @dev Maker role, nonce and signature; price attester role, signature and nonce. Uses both nonces.
    function _checkSignatures(
        AttestedRebalancerStorage storage $,
        IRebalancer.RebalanceOrder calldata order,
        bytes calldata makerSignature,
        IRebalancer.PriceAttestation calldata prices,
        bytes calldata priceSignature
    ) private returns (bytes32 orderHash) {
        IRebalancer rebalancer_ = $.rebalancer;
        IAccessControl roles = IAccessControl(address(rebalancer_));
        if (!roles.hasRole(rebalancer_.MAKER_ROLE(), order.maker)) revert NotMaker(order.maker);
        orderHash = hashRebalanceOrder(order);
        if (!MakerSignature.isValid(order.maker, orderHash, makerSignature)) revert InvalidSignature(order.maker);
        (address signer, ECDSA.RecoverError error,) = ECDSA.tryRecoverCalldata(hashPriceAttestation(prices), priceSignature);
        if (error != ECDSA.RecoverError.NoError) revert InvalidPriceSignature();
        if (!roles.hasRole(rebalancer_.PRICE_ATTESTER_ROLE(), signer)) revert PriceSignerNotAttester(signer);
        _useUnorderedNonce(order.maker, order.nonce);
        _useUnorderedNonce(signer, prices.nonce);
    }

    /**
     * @dev USD value (18 decimals) of the legs at the attested prices, each scaled by its registered decimals
     * (a custodian placeholder has no code to ask); both lists are ascending.
     */
    function _value(
        ICustodyRegistry registry,
        address[] calldata assets,
        uint256[] calldata amounts,
        IRebalancer.PriceAttestation calldata prices
    ) private view returns (uint256 value) {
        uint256 p = 0;
        uint256 priced = prices.assets.length;
        for (uint256 i = 0; i < assets.length; ++i) {
            address asset = assets[i];
            while (p < priced && prices.assets[p] < asset) ++p;
            if (p == priced || prices.assets[p] != asset) revert PriceMissing(asset);
            value += Math.mulDiv(amounts[i], prices.prices[p], 10 ** registry.assetOf(asset).decimals);
        }
    }

    /// @dev A pending, unexpired rebalance whose order is `order`.
    function _pendingRebalance(
        AttestedRebalancerStorage storage $,
        bytes32 rebalanceId,
        IRebalancer.RebalanceOrder calldata order
    ) private view returns (Rebalance storage r) {
        r = $.rebalances[rebalanceId];
        if (r.status != RebalanceStatus.Pending) revert RebalanceNotPending(rebalanceId, r.status);
        if (block.timestamp > r.deadline) revert RebalanceExpired(rebalanceId, r.deadline);
        _checkOrderHash(rebalanceId, r, order);
    }

    /// @dev Calls after `open` pass the order again (cheaper than storing its lists); it must be the one opened.
    function _checkOrderHash(bytes32 rebalanceId, Rebalance storage r, IRebalancer.RebalanceOrder calldata order)
        private
        view
    {
        if (hashRebalanceOrder(order) != r.orderHash) revert OrderMismatch(rebalanceId, r.orderHash);
    }

    /**
     * @dev One leg: request, registered wallet, transaction id (marked used in AttestedIssuer's registry; a later
     * failing check reverts it), a custodian leg of the order without an attestation yet, exact amount (and for a
     * release the maker's destination, only after every buy), then the custodian's signature.
     */
    function _acceptLeg(
        AttestedRebalancerStorage storage $,
        bytes32 rebalanceId,
        Rebalance storage r,
        IRebalancer.RebalanceOrder calldata order,
        IAttestedIssuer.CustodyLeg calldata leg,
        bytes calldata signature
    ) private {
        if (leg.requestId != rebalanceId) revert LegForOtherRequest(rebalanceId, leg.requestId);
        IAttestedIssuer issuer_ = $.attestedIssuer;
        ICustodyRegistry registry = _registry($);
        if (!registry.isWallet(leg.chain, leg.wallet)) revert WalletNotRegistered(leg.chain, leg.wallet);
        issuer_.useTxId(leg.chain, leg.txId);
        address asset = registry.placeholderOf(leg.chain, leg.asset);
        if ($.attested[rebalanceId][asset]) revert LegAlreadyAttested(rebalanceId, asset);
        bool received = leg.direction == uint8(IAttestedIssuer.LegDirection.Received);
        if (!received && leg.direction != uint8(IAttestedIssuer.LegDirection.Released)) revert WrongDirection(leg.direction);
        uint256 required = received
            ? _amountOf(order.buyAssets, order.buyAmounts, asset)
            : _amountOf(order.sellAssets, order.sellAmounts, asset);
        if (required == 0 || !registry.isCustodian(asset)) revert AssetNotInOrder(asset);
        if (leg.amount < required) revert ShortDelivery(asset, leg.amount, required);
        if (received) {
            if (leg.amount > required) revert ExcessDelivery(asset, leg.amount, required);
            ++r.buysAttested;
        } else {
            if (!r.accepted || r.buysAttested != r.buysDue) revert BuysOutstanding(rebalanceId);
            bytes32 expected = $.destinations[rebalanceId][asset];
            if (leg.counterparty != expected) revert WrongCounterparty(asset, leg.counterparty, expected);
            if (leg.amount > required) revert ExcessRelease(asset, leg.amount, required);
            ++r.sellsAttested;
        }
        address signer = ECDSA.recover(issuer_.hashLeg(leg), signature);
        if (!registry.isSigner(signer)) revert NotCustodianSigner(signer);
        $.attested[rebalanceId][asset] = true;
        emit LegAttested(rebalanceId, asset, leg.txId, leg.amount, leg.wallet, leg.counterparty, signer);
    }

    /// @dev The amount of `asset` in an ascending leg list, zero when absent.
    function _amountOf(address[] calldata assets, uint256[] calldata amounts, address asset)
        private
        pure
        returns (uint256)
    {
        for (uint256 i; i < assets.length; ++i) {
            if (assets[i] == asset) return amounts[i];
        }
        return 0;
    }

    /**
     * @dev Applies the order: the tokenset from the basket and supply now, attested custody of the custodian
     * legs, escrowed on-chain buys into CustodyVault and on-chain sells out of it to the maker.
     */
    function _complete(
        AttestedRebalancerStorage storage $,
        bytes32 rebalanceId,
        Rebalance storage r,
        IRebalancer.RebalanceOrder calldata order,
        RebalanceStatus status
    ) private {
        r.status = status;
        delete $.pending[r.index];
        IIndexToken token = IIndexToken(r.index);
        (address[] memory previousAssets, uint256[] memory previousUnitAmounts) = token.tokenset();
        (, uint256[] memory basketAmounts) = token.basket();
        (address[] memory assets, uint256[] memory unitAmounts) =
            RebalanceMath.newTokenset(previousAssets, basketAmounts, token.totalSupply(), order);
        emit RebalanceCompleted(rebalanceId, previousAssets, previousUnitAmounts, assets, unitAmounts);
        token.setTokenset(assets, unitAmounts);
        _setRebalancing(r.index, false);
        IAttestedIssuer issuer_ = $.attestedIssuer;
        ICustodyRegistry registry = _registry($);
        address vault = issuer_.custodyVault();
        for (uint256 i; i < order.buyAssets.length; ++i) {
            if (registry.isCustodian(order.buyAssets[i])) {
                issuer_.rebalanceCustody(r.index, order.buyAssets[i], order.buyAmounts[i], 0);
            } else {
                IERC20(order.buyAssets[i]).safeTransfer(vault, order.buyAmounts[i]);
            }
        }
        _settleSells(issuer_, registry, vault, r, order);
    }

    /// @dev Custodian sells leave attested custody; on-chain sells leave CustodyVault for the maker in one release.
    function _settleSells(
        IAttestedIssuer issuer_,
        ICustodyRegistry registry,
        address vault,
        Rebalance storage r,
        IRebalancer.RebalanceOrder calldata order
    ) private {
        uint256 length = order.sellAssets.length;
        if (length == 0) return;
        uint256 onchain = length - r.sellsDue;
        address[] memory assets = new address[](onchain);
        uint256[] memory amounts = new uint256[](onchain);
        uint256 j;
        for (uint256 i; i < length; ++i) {
            if (registry.isCustodian(order.sellAssets[i])) {
                issuer_.rebalanceCustody(r.index, order.sellAssets[i], 0, order.sellAmounts[i]);
            } else {
                assets[j] = order.sellAssets[i];
                amounts[j++] = order.sellAmounts[i];
            }
        }
        if (onchain != 0) ICustodyVault(vault).release(r.index, r.maker, assets, amounts);
    }

    function _registry(AttestedRebalancerStorage storage $) private view returns (ICustodyRegistry) {
        return ICustodyRegistry($.attestedIssuer.registry());
    }

    /// @dev The domain name is a constant, so signing and checking never read it from storage.
    function _EIP712Name() internal pure override returns (string memory) {
        return DOMAIN_NAME;
    }

    /// @dev The domain version is a constant, so signing and checking never read it from storage.
    function _EIP712Version() internal pure override returns (string memory) {
        return DOMAIN_VERSION;
    }

    function _unorderedNonceBitmap(address owner) internal view override returns (mapping(uint256 => uint256) storage) {
        return _getAttestedRebalancerStorage().nonceBitmaps[owner];
    }

    function _getAttestedRebalancerStorage() private pure returns (AttestedRebalancerStorage storage $) {
        assembly {
            $.slot := ATTESTED_REBALANCER_STORAGE_LOCATION
        }
    }
}
